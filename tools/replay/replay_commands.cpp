#include "tools/replay/replay_commands.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/base/result.h"
#include "engine/base/wide_sum.h"
#include "engine/journal/journal_format.h"
#include "engine/journal/journal_writer.h"
#include "engine/journal/posix_storage.h"
#include "engine/journal/recovery.h"
#include "engine/journal/segment_names.h"
#include "engine/journal/snapshot.h"
#include "engine/ledger/complete_requests.h"
#include "engine/ledger/ledger.h"
#include "engine/wire/event_codec.h"
#include "tools/common/json.h"

namespace tally::replay {
namespace {

// A count of events on standard error, every 2^20 events, when it is a terminal.
class Progress {
 public:
  Progress() : terminal_(::isatty(STDERR_FILENO) == 1) {}
  void tick() {
    if (terminal_ && (++events_ & ((1 << 20) - 1)) == 0) {
      std::fprintf(stderr, "\r%llu events", static_cast<unsigned long long>(events_));
    }
  }
  ~Progress() {
    if (terminal_ && events_ >= (1 << 20))
      std::fprintf(stderr, "\n");
  }

 private:
  bool terminal_;
  uint64_t events_ = 0;
};

void print_json_string(std::string_view text) {
  std::fputs(tools::json_string(text).c_str(), stdout);
}

// `id` in hex without leading zeros: "1f", as tally prints a transaction id and reads it back.
std::string short_hex(const Id128& id) {
  char text[33];
  if (id.high != 0) {
    std::snprintf(text, sizeof(text), "%llx%016llx", static_cast<unsigned long long>(id.high),
                  static_cast<unsigned long long>(id.low));
  } else {
    std::snprintf(text, sizeof(text), "%llx", static_cast<unsigned long long>(id.low));
  }
  return text;
}

// The decimal digits of a 128-bit sum, sign included: printf has no conversion for it.
std::string wide_text(WideSum value) {
  __extension__ typedef unsigned __int128 Magnitude;
  Magnitude magnitude =
      value < 0 ? 0 - static_cast<Magnitude>(value) : static_cast<Magnitude>(value);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  } while (magnitude != 0);
  return value < 0 ? "-" + digits : digits;
}

// The fields only an opening carries: who, which currency, which kind of account, how far
// below zero it may go.
void print_opening_fields(const Outcome& event) {
  std::printf(",\"currency\":\"%s\",\"owner\":", event.currency.to_string().c_str());
  print_json_string(event.text.view());
  std::printf(",\"account_type\":\"%s\",\"overdraft_limit\":%lld",
              protocol::EnumNameAccountType(event.account_type),
              static_cast<long long>(event.overdraft_limit));
}

void print_event(const Outcome& event) {
  std::printf("{\"sequence\":%llu,\"timestamp_ns\":%lld,\"type\":\"%s\",\"code\":\"%s\"",
              static_cast<unsigned long long>(event.sequence),
              static_cast<long long>(event.timestamp_ns), protocol::EnumNameEventType(event.type),
              result_code_name(event.code));
  std::printf(",\"command\":\"%s\",\"account_id\":",
              protocol::EnumNameCommandType(event.command_type));
  print_json_string(event.account_id.view());
  if (!event.counterparty_id.empty()) {
    std::printf(",\"counterparty_id\":");
    print_json_string(event.counterparty_id.view());
    std::printf(",\"counterparty_balance\":%lld,\"counterparty_version\":%llu",
                static_cast<long long>(event.counterparty_balance),
                static_cast<unsigned long long>(event.counterparty_version));
  }
  std::printf(",\"amount\":%lld,\"balance\":%lld,\"version\":%llu",
              static_cast<long long>(event.amount), static_cast<long long>(event.balance),
              static_cast<unsigned long long>(event.version));
  if ((event.flags & kHasTransactionId) != 0) {
    std::printf(",\"transaction_id\":\"%s\"", short_hex(event.transaction_id).c_str());
  }
  // A movement's text is its transaction id as given, never a reason or an owner.
  if (!event.transaction_text().empty()) {
    std::printf(",\"transaction_text\":");
    print_json_string(event.transaction_text());
  }
  if (event.type == EventType::AccountOpened) {
    print_opening_fields(event);
  } else if (!event.owner_or_reason().empty()) {
    std::printf(",\"text\":");
    print_json_string(event.owner_or_reason());
  }
  std::printf(",\"request_id\":\"%016llx%016llx\"}\n",
              static_cast<unsigned long long>(event.request_id.high),
              static_cast<unsigned long long>(event.request_id.low));
}

bool matches(const Outcome& event, const DumpFilter& filter) {
  if (event.sequence < filter.from_sequence || event.sequence > filter.to_sequence ||
      event.timestamp_ns < filter.from_time_ns || event.timestamp_ns > filter.to_time_ns) {
    return false;
  }
  if (filter.event_type && *filter.event_type != protocol::EnumNameEventType(event.type)) {
    return false;
  }
  return !filter.account_id || event.account_id.view() == *filter.account_id ||
         event.counterparty_id.view() == *filter.account_id;
}

// What recovery would conclude, on standard error; returns the exit code it calls for: kOk (a
// torn tail is a crash's normal trace, not corruption), kFailed corrupt, kUsage an I/O error.
ExitCode report_journal(const journal::RecoveryReport& report, uint64_t events_dropped) {
  std::fprintf(stderr, "journal: %llu events, last sequence %llu, synced up to %llu (%s)%s\n",
               static_cast<unsigned long long>(report.events_replayed),
               static_cast<unsigned long long>(report.last_sequence),
               static_cast<unsigned long long>(report.synced_floor),
               report.synced_floor_source.c_str(),
               report.clean_shutdown ? ", stopped cleanly" : "");
  for (const std::string& warning : report.warnings) {
    std::fprintf(stderr, "journal: warning: %s\n", warning.c_str());
  }
  if (events_dropped > 0) {
    std::fprintf(stderr,
                 "journal: %llu events of requests a crash cut short (never acknowledged, no "
                 "effect) left out\n",
                 static_cast<unsigned long long>(events_dropped));
  }
  if (report.status.is_ok() && report.cut) {
    const journal::JournalCut& cut = *report.cut;
    std::fprintf(stderr,
                 "journal: torn tail in %s at offset %llu: %llu bytes from sequence %llu on (at "
                 "least %llu events) were never synced, so never acknowledged; tallyd cuts them "
                 "at its next start and keeps them aside (%s)\n",
                 cut.file.c_str(), static_cast<unsigned long long>(cut.offset),
                 static_cast<unsigned long long>(cut.bytes),
                 static_cast<unsigned long long>(cut.first_sequence),
                 static_cast<unsigned long long>(cut.events_cut), cut.problem.c_str());
  }
  if (!report.status.is_ok()) {
    std::fprintf(stderr, "%s\n", report.status.message().c_str());
    return report.status.code() == StatusCode::kCorruption ? ExitCode::kFailed : ExitCode::kUsage;
  }
  return ExitCode::kOk;
}

// Reads the journal as recovery does (the same verdict) but never writes, handing `visit` the
// events of complete requests only (the rule recovery and the read side follow).
journal::RecoveryReport read_journal(journal::Storage& storage, const DataDirectory& data,
                                     uint64_t snapshot_on_disk,
                                     const std::function<Status(const Outcome&)>& visit,
                                     uint64_t& events_dropped) {
  Progress progress;
  CompleteRequests<> requests;
  journal::RecoveryReport report = journal::assess_journal(
      storage, data.journal(), {.read_only = true, .snapshot_on_disk = snapshot_on_disk},
      [&](const Outcome& event) {
        progress.tick();
        for (const Outcome& complete : requests.add(event)) {
          if (Status status = visit(complete); !status.is_ok()) {
            return status;
          }
        }
        return Status::ok();
      });
  events_dropped = requests.events_dropped();
  return report;
}

// What checking every snapshot found: how many are corrupt, and the sequence of the newest
// valid one (0 if none).
struct SnapshotCheck {
  int corrupt = 0;
  uint64_t newest = 0;
};

// Checks every snapshot, saying on standard error what each holds; fails only when one cannot be
// read (an I/O error; a missing directory holds no snapshots).
Result<SnapshotCheck> verify_snapshots(journal::Storage& storage, const DataDirectory& data) {
  std::vector<std::string> names;
  if (Status status = storage.list_directory(data.snapshots(), names); !status.is_ok()) {
    if (status.code() == StatusCode::kNotFound) {
      return SnapshotCheck{};
    }
    return status;
  }
  SnapshotCheck check;
  for (const std::string& name : names) {
    if (!name.ends_with(".snapshot")) {  // a temporary file, or one a repair set aside
      std::fprintf(stderr, "snapshot directory: %s: not a snapshot, ignored\n", name.c_str());
      continue;
    }
    std::vector<uint8_t> bytes;
    if (Status status = storage.read_file(data.snapshots() + "/" + name, bytes); !status.is_ok()) {
      return status;
    }
    Ledger ledger(LedgerLimits{});
    const Status status = journal::decode_snapshot(bytes, ledger);
    std::fprintf(stderr, "snapshot %s: %s\n", name.c_str(),
                 status.is_ok() ? "ok" : status.message().c_str());
    if (status.is_ok()) {
      check.newest = std::max(check.newest, ledger.next_sequence() - 1);
    }
    check.corrupt += status.is_ok() ? 0 : 1;
  }
  return check;
}

// Per currency: the sum of balances and the number of accounts (the reserve). The sums are 128
// bits wide, as the read side's reserve: two balances near the int64 limit already pass it.
void print_totals(const Ledger& ledger) {
  std::map<std::string, std::pair<WideSum, uint64_t>> totals;
  ledger.accounts().for_each([&](std::string_view, const Account& account) {
    auto& [balance, accounts] = totals[account.currency.to_string()];
    balance += account.balance;
    ++accounts;
  });
  for (const auto& [currency, total] : totals) {
    std::printf("total %s: %s minor units in %llu accounts\n", currency.c_str(),
                wide_text(total.first).c_str(), static_cast<unsigned long long>(total.second));
  }
  std::printf("next sequence: %llu\n", static_cast<unsigned long long>(ledger.next_sequence()));
}

void print_accounts(const Ledger& ledger) {
  std::vector<std::pair<std::string, const Account*>> accounts;
  ledger.accounts().for_each([&](std::string_view id, const Account& account) {
    accounts.emplace_back(std::string(id), &account);
  });
  std::sort(accounts.begin(), accounts.end());
  std::printf("%-24s %-8s %20s %-7s %10s\n", "account", "currency", "balance", "status", "version");
  for (const auto& [id, account] : accounts) {
    std::printf("%-24s %-8s %20lld %-7s %10llu\n", id.c_str(),
                account->currency.to_string().c_str(), static_cast<long long>(account->balance),
                protocol::EnumNameAccountStatus(account->status),
                static_cast<unsigned long long>(account->version));
  }
}

}  // namespace

ExitCode run_verify(const DataDirectory& data) {
  journal::PosixStorage storage;
  const Result<SnapshotCheck> snapshots = verify_snapshots(storage, data);
  if (!snapshots.is_ok()) {
    std::fprintf(stderr, "snapshots: %s\n", snapshots.status().message().c_str());
  }
  const SnapshotCheck checked = snapshots.is_ok() ? *snapshots : SnapshotCheck{};
  // The whole journal is replayed, from its start, into a ledger: it must hold together.
  Ledger ledger(LedgerLimits{});
  Progress progress;
  const journal::RecoveryReport report = journal::assess_journal(
      storage, data.journal(), {.read_only = true, .snapshot_on_disk = checked.newest},
      [&](const Outcome& event) {
        progress.tick();
        return ledger.replay(event);
      });
  const ExitCode journal_code = report_journal(report, 0);
  if (!snapshots.is_ok() || journal_code == ExitCode::kUsage)
    return ExitCode::kUsage;
  const bool well = checked.corrupt == 0 && journal_code == ExitCode::kOk;
  std::fprintf(stderr, "%s\n", well ? "verify: all is well" : "verify: CORRUPT");
  return well ? ExitCode::kOk : ExitCode::kFailed;
}

ExitCode run_dump(const DataDirectory& data, const DumpFilter& filter) {
  journal::PosixStorage storage;
  uint64_t dropped = 0;
  const journal::RecoveryReport report = read_journal(
      storage, data, 0,
      [&](const Outcome& event) {
        if (matches(event, filter))
          print_event(event);
        return Status::ok();
      },
      dropped);
  return report_journal(report, dropped);
}

ExitCode run_state(const DataDirectory& data, const StatePoint& point) {
  journal::PosixStorage storage;
  Ledger ledger(LedgerLimits{});
  Progress progress;
  bool past_the_point = false;
  const journal::RecoveryReport report = journal::assess_journal(
      storage, data.journal(), {.read_only = true}, [&](const Outcome& event) {
        progress.tick();
        past_the_point = past_the_point ||
                         (point.at_sequence && event.sequence > *point.at_sequence) ||
                         (point.at_time_ns && event.timestamp_ns > *point.at_time_ns);
        return past_the_point ? Status::ok() : ledger.replay(event);
      });
  if (const ExitCode code = report_journal(report, 0); code != ExitCode::kOk)
    return code;
  print_accounts(ledger);
  print_totals(ledger);
  if (point.write_snapshot_to) {
    if (ledger.replay_in_progress()) {
      std::fprintf(stderr, "no snapshot: the point falls inside a request; pick its last event\n");
      return ExitCode::kUsage;
    }
    if (Status status = journal::write_snapshot(storage, *point.write_snapshot_to, ledger, 1);
        !status.is_ok()) {
      std::fprintf(stderr, "%s\n", status.message().c_str());
      return ExitCode::kUsage;
    }
  }
  return ExitCode::kOk;
}

ExitCode run_stats(const DataDirectory& data) {
  journal::PosixStorage storage;
  Ledger ledger(LedgerLimits{});
  std::map<std::string, uint64_t> per_type;
  std::map<std::string, uint64_t> per_reason;
  uint64_t bytes = 0;
  uint64_t events = 0;
  uint8_t payload[kEventPayloadBytesMax];
  Progress progress;
  CompleteRequests<> requests;  // counted as the ledger applies them: complete requests only
  const journal::RecoveryReport report = journal::assess_journal(
      storage, data.journal(), {.read_only = true}, [&](const Outcome& event) {
        progress.tick();
        for (const Outcome& complete : requests.add(event)) {
          ++events;
          ++per_type[protocol::EnumNameEventType(complete.type)];
          if (complete.type == EventType::CommandRejected)
            ++per_reason[result_code_name(complete.code)];
          bytes += journal::record_bytes(encode_event_payload(complete, payload));
        }
        return ledger.replay(event);
      });
  if (const ExitCode code = report_journal(report, requests.events_dropped());
      code != ExitCode::kOk)
    return code;
  for (const auto& [type, count] : per_type) {
    std::printf("events %s: %llu\n", type.c_str(), static_cast<unsigned long long>(count));
  }
  for (const auto& [reason, count] : per_reason) {
    std::printf("rejected %s: %llu\n", reason.c_str(), static_cast<unsigned long long>(count));
  }
  std::printf("journal bytes: %llu (%.1f per event)\n", static_cast<unsigned long long>(bytes),
              events == 0 ? 0.0 : static_cast<double>(bytes) / static_cast<double>(events));
  std::printf("accounts: %zu\n", ledger.accounts().size());
  print_totals(ledger);
  return ExitCode::kOk;
}

namespace {

// Moves aside (".after-cut") every snapshot past `last_sequence`: it holds events the cut
// removed, and tallyd would start from it. Returns the names moved, or the failure.
Status move_aside_snapshots_after(journal::Storage& storage, const DataDirectory& data,
                                  uint64_t last_sequence, std::vector<std::string>& moved) {
  std::vector<std::string> names;
  if (Status status = storage.list_directory(data.snapshots(), names); !status.is_ok()) {
    return status.code() == StatusCode::kNotFound ? Status::ok() : status;
  }
  for (uint64_t sequence = last_sequence + 1;;) {
    const auto later = std::find_if(names.begin(), names.end(), [&](const std::string& name) {
      return name.ends_with(".snapshot") && name.size() == 29 &&
             std::strtoull(name.c_str(), nullptr, 10) >= sequence;
    });
    if (later == names.end()) {
      break;
    }
    const std::string path = data.snapshots() + "/" + *later;
    if (Status status = storage.rename(path, path + ".after-cut"); !status.is_ok()) {
      return status;
    }
    moved.push_back(*later);
    names.erase(later);
  }
  return moved.empty() ? Status::ok() : storage.sync_directory(data.snapshots());
}

// After the cut, the manifest and the durable mark still name the old end: a writer opened at
// the new end and closed cleanly states it (manifest, mark, a fresh spare segment).
Status seal_journal(journal::Storage& storage, const DataDirectory& data,
                    const journal::AppendPosition& end) {
  journal::MappedFile segment;
  const std::string path = data.journal() + "/" + journal::segment_name(end.segment_index);
  if (Status status = storage.map_file(path, segment); !status.is_ok()) {
    return status;
  }
  const uint64_t segment_bytes = segment.bytes.size();
  storage.unmap_file(segment);
  journal::JournalWriter writer(storage,
                                {.directory = data.journal(), .segment_bytes = segment_bytes});
  if (Status status = writer.open(end, 0); !status.is_ok()) {
    return status;
  }
  return writer.close();
}

}  // namespace

ExitCode run_repair(const DataDirectory& data, bool cut) {
  journal::PosixStorage storage;
  const Result<SnapshotCheck> snapshots = verify_snapshots(storage, data);
  if (!snapshots.is_ok()) {
    std::fprintf(stderr, "repair: cannot read %s: %s\n", data.snapshots().c_str(),
                 snapshots.status().message().c_str());
    return ExitCode::kUsage;
  }
  const uint64_t newest_snapshot = snapshots->newest;
  const auto replay_into = [](Ledger& ledger) {
    return [&ledger](const Outcome& event) { return ledger.replay(event); };
  };
  Ledger whole(LedgerLimits{});
  const journal::RecoveryReport assessed = journal::assess_journal(
      storage, data.journal(), {.read_only = true, .snapshot_on_disk = newest_snapshot},
      replay_into(whole));
  if (assessed.status.is_ok() && !assessed.cut) {
    std::fprintf(stderr, "repair: the journal is whole (%llu events); nothing to do\n",
                 static_cast<unsigned long long>(assessed.events_replayed));
    return ExitCode::kOk;
  }
  if (!assessed.status.is_ok() && assessed.status.code() != StatusCode::kCorruption) {
    std::fprintf(stderr, "repair: %s\n", assessed.status.message().c_str());
    return ExitCode::kUsage;
  }
  // What the operator's cut would do: everything from the first damage on goes.
  Ledger kept(LedgerLimits{});
  journal::RecoveryReport report = journal::assess_journal(
      storage, data.journal(), {.cut_at_corruption = true, .read_only = !cut}, replay_into(kept));
  if (!report.status.is_ok() || !report.cut) {
    std::fprintf(stderr, "repair: %s\n",
                 report.status.is_ok() ? "nothing to cut" : report.status.message().c_str());
    return ExitCode::kUsage;
  }
  const journal::JournalCut& at = *report.cut;
  std::fprintf(stderr, "repair: %s\n",
               assessed.status.is_ok() ? "a torn tail, never acknowledged"
                                       : assessed.status.message().c_str());
  std::fprintf(stderr,
               "repair: the cut is in %s at offset %llu: sequence %llu on (at least %llu events, "
               "%s) and every later segment; the journal then ends at sequence %llu\n",
               at.file.c_str(), static_cast<unsigned long long>(at.offset),
               static_cast<unsigned long long>(at.first_sequence),
               static_cast<unsigned long long>(at.events_cut),
               at.torn_tail ? "never acknowledged" : "ACKNOWLEDGED EVENTS ARE LOST",
               static_cast<unsigned long long>(report.last_sequence));
  if (!cut) {
    std::fprintf(
        stderr,
        "repair: nothing was changed. Restoring a backup loses nothing; to cut instead, "
        "run again with --cut (the cut bytes and segments are kept aside as .cut files)\n");
    return ExitCode::kFailed;
  }
  std::vector<std::string> moved;
  Status status = move_aside_snapshots_after(storage, data, report.last_sequence, moved);
  if (status.is_ok()) {
    status = seal_journal(storage, data, report.append_position);
  }
  if (!status.is_ok()) {
    std::fprintf(stderr, "repair: the cut was made, but: %s\n", status.message().c_str());
    return ExitCode::kUsage;
  }
  std::fprintf(stderr, "repair: cut; the bytes cut are in %s, later segments kept as .cut files\n",
               at.saved_to.c_str());
  for (const std::string& name : moved) {
    std::fprintf(stderr, "repair: snapshot %s was past the cut: moved aside (.after-cut)\n",
                 name.c_str());
  }
  return ExitCode::kOk;
}

}  // namespace tally::replay
