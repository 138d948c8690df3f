// tally-replay: verify, dump, rebuild state from, and count what is in a Tally data directory,
// and repair one whose journal tallyd refused. Works offline, on a directory no server holds (or
// a copy of one); only repair --cut writes into it. A directory a running tallyd holds is
// refused (exit 3) unless --live says to read it as it is (never with repair).
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "engine/journal/data_directory_lock.h"
#include "engine/wire/protocol.h"
#include "tools/replay/replay_commands.h"

namespace {

// The names --type accepts: every event type a journal can hold.
std::vector<std::string> event_type_names() {
  std::vector<std::string> names;
  for (const tally::EventType type : tally::protocol::EnumValuesEventType()) {
    if (type != tally::EventType::Unknown) {
      names.emplace_back(tally::protocol::EnumNameEventType(type));
    }
  }
  return names;
}

// Takes the data directory's lock shared (beside other readers, never beside tallyd). Returns
// an exit code to stop with, or kOk to go on.
tally::ExitCode lock_data_directory(const std::string& path, bool live, bool writes,
                                    tally::journal::DataDirectoryLock& lock) {
  const tally::Status status = lock.acquire(path, tally::journal::LockMode::kShared);
  if (status.is_ok() || status.code() == tally::StatusCode::kNotFound) {
    return tally::ExitCode::kOk;  // (no lock file: no server ever held it)
  }
  if (status.code() != tally::StatusCode::kAlreadyExists) {
    std::fprintf(stderr, "tally-replay: cannot lock: %s\n", status.message().c_str());
    return tally::ExitCode::kUsage;
  }
  if (!live || writes) {
    std::fprintf(stderr, "tally-replay: %s. Stop the server first, or inspect a copy (cp -a)%s\n",
                 status.message().c_str(),
                 writes ? "" : ", or pass --live to read it as it is now, without writing");
    return tally::ExitCode::kRefused;
  }
  std::fprintf(stderr,
               "tally-replay: %s: reading it live, without writing; the newest events may be "
               "missing\n",
               status.message().c_str());
  return tally::ExitCode::kOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tally-replay: inspect and verify a Tally data directory offline"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tally-replay " TALLY_VERSION, "print the version and exit");
  tally::replay::DataDirectory data;
  bool live = false;
  const auto add_data = [&](CLI::App* command) {
    command->add_option("data-directory", data.path, "the data directory (holds journal/)")
        ->required()
        ->check(CLI::ExistingDirectory);
    command->add_flag("--live", live,
                      "read a directory a running tallyd holds, as it is now (never writes)");
  };

  CLI::App* verify =
      app.add_subcommand("verify",
                         "check every snapshot and journal segment, record checksums and sequence "
                         "continuity; exit 0 if all is well, 1 if anything is corrupt");
  add_data(verify);

  tally::replay::DumpFilter filter;
  CLI::App* dump = app.add_subcommand("dump", "print events as JSON lines");
  add_data(dump);
  dump->add_option("--account", filter.account_id, "only events of this account");
  // An unknown name would match nothing and look like an empty journal: a usage error instead.
  // Any case is accepted and stored as the type's own name, which the filter compares.
  dump->add_option("--type", filter.event_type, "only this event type, e.g. Deposited")
      ->transform(CLI::IsMember(event_type_names(), CLI::ignore_case));
  dump->add_option("--from-seq", filter.from_sequence, "first sequence");
  dump->add_option("--to-seq", filter.to_sequence, "last sequence");
  dump->add_option("--from-time", filter.from_time_ns, "earliest timestamp, ns since 1970");
  dump->add_option("--to-time", filter.to_time_ns, "latest timestamp, ns since 1970");

  tally::replay::StatePoint point;
  CLI::App* state = app.add_subcommand(
      "state", "rebuild the ledger as of a sequence or a time; print accounts and totals");
  add_data(state);
  auto* at_sequence = state->add_option("--at-seq", point.at_sequence, "last sequence to apply");
  auto* at_time =
      state->add_option("--at-time", point.at_time_ns, "last timestamp to apply, ns since 1970");
  at_sequence->excludes(at_time);
  state
      ->add_option("--write-snapshot", point.write_snapshot_to,
                   "also write the state as a snapshot into this directory")
      ->check(CLI::ExistingDirectory);

  CLI::App* stats = app.add_subcommand("stats", "events per type, bytes, accounts, totals");
  add_data(stats);

  bool cut = false;
  CLI::App* repair = app.add_subcommand(
      "repair",
      "after tallyd refused a corrupt journal: say what cutting it at the damage would lose "
      "(exit 1), or with --cut do it (tallyd must be stopped)");
  repair->add_option("data-directory", data.path, "the data directory (holds journal/)")
      ->required()
      ->check(CLI::ExistingDirectory);
  repair->add_flag("--cut", cut,
                   "cut the journal at its first damage, losing every event from there on; the "
                   "cut bytes and later segments are kept aside as .cut files");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help prints and succeeds; every other parse problem is a usage error: exit code 2.
    return static_cast<int>(app.exit(error) == 0 ? tally::ExitCode::kOk : tally::ExitCode::kUsage);
  }
  tally::journal::DataDirectoryLock lock;
  if (repair->parsed()) {
    // The one writer: alone on the directory, like tallyd.
    const tally::Status status = lock.acquire(data.path, tally::journal::LockMode::kExclusive);
    if (!status.is_ok()) {
      std::fprintf(stderr, "tally-replay: %s. Stop the server first\n", status.message().c_str());
      return static_cast<int>(status.code() == tally::StatusCode::kAlreadyExists
                                  ? tally::ExitCode::kRefused
                                  : tally::ExitCode::kUsage);
    }
    return static_cast<int>(tally::replay::run_repair(data, cut));
  }
  if (const tally::ExitCode code = lock_data_directory(
          data.path, live, state->parsed() && point.write_snapshot_to.has_value(), lock);
      code != tally::ExitCode::kOk) {
    return static_cast<int>(code);
  }
  if (verify->parsed())
    return static_cast<int>(tally::replay::run_verify(data));
  if (dump->parsed())
    return static_cast<int>(tally::replay::run_dump(data, filter));
  if (state->parsed())
    return static_cast<int>(tally::replay::run_state(data, point));
  return static_cast<int>(tally::replay::run_stats(data));
}
