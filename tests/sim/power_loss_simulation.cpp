#include "sim/power_loss_simulation.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string_view>
#include <vector>

#include "engine/journal/journal_format.h"
#include "engine/journal/journal_tail.h"
#include "engine/journal/journal_writer.h"
#include "engine/journal/journaler.h"
#include "engine/journal/recovery.h"
#include "engine/journal/snapshot.h"
#include "engine/journal/snapshotter.h"
#include "engine/ledger/complete_requests.h"
#include "engine/read/account_model.h"
#include "engine/read/history_model.h"
#include "engine/wire/event_codec.h"
#include "support/faulty_storage.h"
#include "support/ledger_harness.h"
#include "support/model_query.h"

namespace tally::testing {
namespace {

using journal::LedgerRecovery;
using journal::recover_ledger;

// Commands keep views of their strings: every string a command names lives here, forever.
constexpr std::array<std::string_view, 12> kAccounts = {"acct-00", "acct-01", "acct-02", "acct-03",
                                                        "acct-04", "acct-05", "acct-06", "acct-07",
                                                        "acct-08", "acct-09", "acct-10", "acct-11"};
constexpr std::string_view kOwner = "Grace Hopper";
constexpr std::string_view kReason = "audit";

const std::string kJournal = "data/journal";
const std::string kSnapshots = "data/snapshots";
// Small tables: a run builds many ledgers (recovered, reference, mirror, snapshots).
LedgerLimits simulation_limits() {
  LedgerLimits limits;
  limits.batch_commands_max = 16;
  limits.initial_account_capacity = 64;
  limits.initial_transaction_capacity = 64;
  limits.idempotency_window = 1 << 16;  // every request of a run stays in it
  return limits;
}

// Small segments: a life rotates several times, and the power may go in any rotation.
constexpr uint64_t kSegmentBytes = 24 * 1024;

bool is_injected(const Status& status) {
  return status.message().find("injected failure") != std::string::npos;
}

// What a client heard back for one command.
struct AnsweredOutcome {
  ResultCode code = ResultCode::Ok;
  uint64_t sequence = 0;
  friend bool operator==(const AnsweredOutcome&, const AnsweredOutcome&) = default;
};

struct Request {
  Id128 id;
  std::vector<Command> commands;
  bool atomic = false;
  std::vector<AnsweredOutcome> outcomes;  // as first answered, while applied
  uint64_t last_sequence = 0;  // its last event; 0: never applied, or lost in a power cut
  bool acknowledged = false;
};

// How the power goes in one life.
enum class PowerCut {
  kDuringRecovery,  // at a storage operation of recovery or of the journal's opening
  kWhileServing,    // at a storage operation while requests are journaled
  kQuietMoment,     // after the last request, nothing failing
  kAfterCleanStop,  // after the journal was closed cleanly
};

std::string describe(const AnsweredOutcome& outcome) {
  return std::string(result_code_name(outcome.code)) + "@" + std::to_string(outcome.sequence);
}

// The event as the journal keeps it: header fields and payload bytes.
std::vector<uint8_t> journaled_form(const Outcome& event) {
  std::vector<uint8_t> bytes(kEventPayloadBytesMax + 24);
  const size_t payload = encode_event_payload(event, std::span(bytes).subspan(24));
  std::memcpy(bytes.data(), &event.sequence, 8);
  std::memcpy(bytes.data() + 8, &event.timestamp_ns, 8);
  bytes[16] = static_cast<uint8_t>(event.type);
  bytes.resize(24 + payload);
  return bytes;
}

class Simulation {
 public:
  explicit Simulation(const SimulationOptions& options)
      : options_(options), random_(options.seed) {}

  SimulationResult run() {
    for (life_ = 1; life_ <= options_.lives && result_.passed; ++life_) {
      live();
    }
    // The last power loss is judged by one more recovery.
    if (result_.passed) {
      LedgerRecovery recovery;
      recover_and_check(recovery);
    }
    return std::move(result_);
  }

 private:
  uint64_t pick(uint64_t bound) { return random_() % bound; }
  bool chance(double probability) {
    return std::uniform_real_distribution<double>(0, 1)(random_) < probability;
  }

  void note(const std::string& line) {
    if (options_.trace) {
      result_.trace += "life " + std::to_string(life_) + ": " + line + "\n";
    }
  }

  bool fail(const std::string& what) {
    if (result_.passed) {
      result_.passed = false;
      result_.failure =
          "seed " + std::to_string(options_.seed) + ", life " + std::to_string(life_) + ": " + what;
      note("FAILED: " + what);
    }
    return false;
  }

  void live();
  bool recover_and_check(LedgerRecovery& recovery, bool cut_power_in_recovery = false);
  bool refuse_flipped_record();
  std::optional<std::string> flip_newest_snapshot();
  bool check_recovered(const LedgerRecovery& recovery);
  bool check_journal_and_read_models(const Ledger& ledger, uint64_t last_sequence);
  bool serve(Ledger& ledger, const journal::AppendPosition& position, PowerCut cut);
  bool serve_group(Ledger& ledger, journal::Journaler& journaler);
  bool apply_request(Ledger& ledger, size_t index, std::vector<Outcome>& out);
  size_t next_request();
  Command random_command();
  void lose_power();

  SimulationOptions options_;
  std::mt19937_64 random_;
  SimulationResult result_;
  FaultyStorage storage_;
  uint32_t life_ = 0;
  std::vector<Outcome> history_;  // every event the engine produced, index = sequence - 1
  std::vector<Request> requests_;
  uint64_t acknowledged_through_ = 0;
  // Every record up to here is followed, in a synced record, by proof that it was synced.
  uint64_t provably_synced_ = 0;
  int64_t clock_ns_ = 1'700'000'000'000'000'000;
  int64_t ring_position_ = 0;
};

void Simulation::live() {
  const uint64_t draw = pick(100);
  const PowerCut cut = draw < 10   ? PowerCut::kDuringRecovery
                       : draw < 75 ? PowerCut::kWhileServing
                       : draw < 90 ? PowerCut::kQuietMoment
                                   : PowerCut::kAfterCleanStop;
  LedgerRecovery recovery;
  if (!recover_and_check(recovery, cut == PowerCut::kDuringRecovery)) {
    if (result_.passed) {  // the power went during recovery
      lose_power();
    }
    return;
  }
  if (!serve(*recovery.ledger, recovery.journal.append_position, cut)) {
    return;
  }
  lose_power();
}

void Simulation::lose_power() {
  storage_.heal();
  PowerLoss how;
  switch (pick(4)) {
    case 0:
      break;  // nothing unsynced reached the disk
    case 1:
      how.sector_survives = 1;  // everything did, only the syncs were missing
      how.name_change_survives = 1;
      break;
    default:
      how.sector_survives = 0.5;
      how.sector_tears = 0.2;
      how.name_change_survives = 0.5;
      how.names_in_order = pick(2) == 0;
      break;
  }
  storage_.power_loss(how, random_);
  ++result_.power_losses;
  note("power lost (sectors kept " + std::to_string(how.sector_survives) + ", names kept " +
       std::to_string(how.name_change_survives) + (how.names_in_order ? " in order)" : " any)"));
}

// Recovers the data directory as tallyd does. False if the power went meanwhile (an injected
// failure: the caller cuts it) or a property broke (result_.passed turns false).
bool Simulation::recover_and_check(LedgerRecovery& recovery, bool cut_power_in_recovery) {
  if (provably_synced_ > 0 && chance(0.15) && !refuse_flipped_record()) {
    return false;
  }
  std::optional<std::string> flipped_snapshot;
  if (chance(0.1)) {
    flipped_snapshot = flip_newest_snapshot();
  }
  if (cut_power_in_recovery) {
    storage_.fail_at(1 + pick(16), StatusCode::kIoError, true, true);
  }
  recovery = recover_ledger(storage_, kJournal, kSnapshots, simulation_limits());
  if (!recovery.status.is_ok()) {
    if (is_injected(recovery.status)) {
      note("the power went during recovery: " + recovery.status.message());
      return false;
    }
    return fail("recovery refused a journal nobody corrupted: " + recovery.status.message());
  }
  if (flipped_snapshot) {
    const bool skipped = std::any_of(
        recovery.snapshots_skipped.begin(), recovery.snapshots_skipped.end(),
        [&](const std::string& line) { return line.find(*flipped_snapshot) != std::string::npos; });
    if (!skipped) {
      return fail("the flipped snapshot " + *flipped_snapshot + " was not skipped");
    }
    ++result_.snapshots_skipped;
  }
  // The checks read the disk too: the power cut planned for the journal's opening stays where
  // it was.
  storage_.suspend_failures(true);
  const bool checked = check_recovered(recovery);
  storage_.suspend_failures(false);
  return checked;
}

// Flips one bit of a record that was provably synced: recovery must refuse the journal and
// change nothing on disk. The bit is flipped back afterwards.
bool Simulation::refuse_flipped_record() {
  struct Candidate {
    std::string path;
    size_t offset;
    size_t bytes;
    uint64_t sequence;
  };
  std::vector<Candidate> candidates;
  for (const auto& [path, bytes] : storage_.image()) {
    if (!path.ends_with(".segment")) {
      continue;
    }
    for (size_t offset = sizeof(journal::SegmentHeader);
         offset + sizeof(journal::RecordHeader) <= bytes.size();) {
      journal::RecordHeader header;
      std::memcpy(&header, bytes.data() + offset, sizeof(header));
      if (header.payload_bytes == 0 || header.payload_bytes > kEventPayloadBytesMax) {
        break;
      }
      if (header.sequence >= 1 && header.sequence <= provably_synced_) {
        candidates.push_back(
            {path, offset, sizeof(header) + header.payload_bytes, header.sequence});
      }
      offset += journal::record_bytes(header.payload_bytes);
    }
  }
  if (candidates.empty()) {
    return true;
  }
  const Candidate& target = candidates[pick(candidates.size())];
  const size_t byte = target.offset + pick(target.bytes);
  const auto mask = static_cast<uint8_t>(1u << pick(8));
  const std::string where = target.path + " byte " + std::to_string(byte) + " (record " +
                            std::to_string(target.sequence) + ", synced)";
  storage_.corrupt(target.path, byte, mask);
  const auto before = storage_.image();
  const LedgerRecovery recovery =
      recover_ledger(storage_, kJournal, kSnapshots, simulation_limits());
  if (recovery.status.is_ok()) {
    return fail("a flipped bit at " + where + " was not refused; recovered through " +
                std::to_string(recovery.journal.last_sequence));
  }
  if (storage_.image() != before) {
    return fail("refusing the flipped bit at " + where + " changed the disk");
  }
  storage_.corrupt(target.path, byte, mask);
  ++result_.corruptions_refused;
  note("flipped " + where + ": refused (" + recovery.status.message() + ")");
  return true;
}

// Flips one bit of the newest snapshot; returns its file name, or nothing if there is none.
std::optional<std::string> Simulation::flip_newest_snapshot() {
  std::string newest;
  for (const auto& [path, bytes] : storage_.image()) {
    if (path.starts_with(kSnapshots + "/") && path.ends_with(".snapshot") && !bytes.empty()) {
      newest = path;  // the image is sorted, and names sort by sequence
    }
  }
  if (newest.empty()) {
    return std::nullopt;
  }
  storage_.corrupt(newest, pick(storage_.bytes_of(newest)->size()),
                   static_cast<uint8_t>(1u << pick(8)));
  note("flipped a bit of " + newest);
  return newest.substr(kSnapshots.size() + 1);
}

bool Simulation::check_recovered(const LedgerRecovery& recovery) {
  const Ledger& ledger = *recovery.ledger;
  const uint64_t last = ledger.next_sequence() - 1;
  const uint64_t complete = ledger.replayed_complete_sequence();
  if (recovery.journal.cut) {
    ++result_.torn_tails_cut;
  }
  note("recovered: snapshot " + std::to_string(recovery.snapshot_sequence) + ", journal to " +
       std::to_string(last) + ", complete to " + std::to_string(complete) + ", acknowledged " +
       std::to_string(acknowledged_through_) +
       (recovery.journal.cut ? ", cut " + std::to_string(recovery.journal.cut->events_cut) +
                                   " events at " + recovery.journal.cut->file
                             : ""));
  if (last > history_.size()) {
    return fail("recovered through " + std::to_string(last) + ", but the engine produced only " +
                std::to_string(history_.size()) + " events");
  }
  if (complete < acknowledged_through_) {
    return fail("acknowledged through " + std::to_string(acknowledged_through_) +
                ", recovered only through " + std::to_string(complete));
  }
  if (recovery.journal.cut && recovery.journal.cut->first_sequence <= acknowledged_through_) {
    return fail("the cut starts at " + std::to_string(recovery.journal.cut->first_sequence) +
                ", at or below the acknowledged " + std::to_string(acknowledged_through_));
  }
  history_.resize(last);
  // What the power took was never acknowledged: its clients retry, and it applies anew.
  for (Request& request : requests_) {
    if (request.last_sequence > complete) {
      request.last_sequence = 0;
      request.outcomes.clear();
    }
  }
  // The same events through a fresh ledger, never through a journal or a snapshot.
  Ledger reference(simulation_limits());
  uint64_t money = 0;
  CompleteRequests<Outcome> requests;
  for (const Outcome& event : history_) {
    if (Status status = reference.replay(event); !status.is_ok()) {
      return fail("the engine's own events do not replay: " + status.message());
    }
    for (const Outcome& applied : requests.add(event)) {
      if (applied.code != ResultCode::Ok)
        continue;
      if (applied.type == EventType::AccountOpened || applied.type == EventType::Deposited) {
        money += static_cast<uint64_t>(applied.amount);
      } else if (applied.type == EventType::Withdrawn) {
        money -= static_cast<uint64_t>(applied.amount);
      }
    }
  }
  if (image_of(reference) != image_of(ledger)) {
    return fail("the recovered accounts differ from the engine's events replayed alone");
  }
  uint64_t balances = 0;
  ledger.accounts().for_each([&](std::string_view, const Account& account) {
    balances += static_cast<uint64_t>(account.balance);
  });
  if (balances != money) {
    return fail("money is not conserved: the balances sum to " +
                std::to_string(static_cast<int64_t>(balances)) + ", the events to " +
                std::to_string(static_cast<int64_t>(money)));
  }
  return check_journal_and_read_models(ledger, last);
}

// Reads the journal from its start as the projectors do: every event must be the engine's, and
// the read models built from them must agree with the ledger.
bool Simulation::check_journal_and_read_models(const Ledger& ledger, uint64_t last_sequence) {
  read::AccountModel accounts;
  read::HistoryModel history(storage_, kJournal);
  journal::JournalTail tail(storage_, kJournal, journal::AppendPosition{});
  struct Positioned {
    Outcome event;
    journal::JournalPosition position;
  };
  CompleteRequests<Positioned> requests;
  for (uint64_t expected = 1; expected <= last_sequence; ++expected) {
    const Result<const Outcome*> event = tail.next(last_sequence);
    if (!event.is_ok() || *event == nullptr) {
      return fail("the journal's reader stopped before " + std::to_string(expected) + ": " +
                  event.status().message());
    }
    if (journaled_form(**event) != journaled_form(history_[expected - 1])) {
      return fail("the journal's event " + std::to_string(expected) +
                  " is not the one the engine produced");
    }
    const Positioned entry{**event, tail.last_position()};  // the span may be this very entry
    for (const Positioned& complete : requests.add(entry)) {
      for (read::ReadModel* model :
           {static_cast<read::ReadModel*>(&accounts), static_cast<read::ReadModel*>(&history)}) {
        if (const Status applied = model->apply(complete.event, complete.position);
            !applied.is_ok()) {
          return fail("a read model refused the journal's event " +
                      std::to_string(complete.event.sequence) + ": " + applied.message());
        }
      }
    }
  }
  bool agreed = true;
  ledger.accounts().for_each([&](std::string_view id, const Account& account) {
    if (!agreed)
      return;
    const ModelReply balance =
        ask_model(accounts, protocol::RequestBody::BalanceQuery, [&](auto& builder) {
          return protocol::CreateBalanceQuery(builder, builder.CreateString(id));
        });
    const auto* result = balance.code == ResultCode::Ok
                             ? flatbuffers::GetRoot<protocol::Response>(balance.bytes.data())
                                   ->body_as_BalanceResult()
                             : nullptr;
    if (result == nullptr || result->balance() != account.balance ||
        result->version() != account.version) {
      agreed = fail("the account model's " + std::string(id) + " differs from the ledger's");
      return;
    }
    const ModelReply statement =
        ask_model(history, protocol::RequestBody::HistoryQuery, [&](auto& builder) {
          return protocol::CreateHistoryQuery(builder, builder.CreateString(id),
                                              protocol::Order::NewestFirst, 0, 0, 1);
        });
    const auto* entries = statement.code == ResultCode::Ok
                              ? flatbuffers::GetRoot<protocol::Response>(statement.bytes.data())
                                    ->body_as_HistoryResult()
                              : nullptr;
    if (entries == nullptr || entries->entries() == nullptr || entries->entries()->size() != 1 ||
        entries->entries()->Get(0)->balance() != account.balance) {
      agreed = fail("the history model's last balance of " + std::string(id) +
                    " differs from the ledger's");
    }
  });
  return agreed;
}

bool Simulation::serve(Ledger& ledger, const journal::AppendPosition& position, PowerCut cut) {
  clock_ns_ = std::max(clock_ns_, ledger.timestamp_ns()) + 1000;
  journal::JournalWriter writer(storage_, {.directory = kJournal, .segment_bytes = kSegmentBytes});
  if (Status status = writer.open(position, clock_ns_); !status.is_ok()) {
    if (is_injected(status)) {
      note("the power went while the journal opened: " + status.message());
      return true;
    }
    return fail("the journal did not open after recovery: " + status.message());
  }
  storage_.heal();
  if (cut == PowerCut::kWhileServing) {
    storage_.fail_at(1 + pick(options_.requests_per_life / 2 + 1), StatusCode::kIoError, true,
                     true);
  }
  journal::Journaler journaler(writer, options_.acknowledge_unsynced
                                           ? journal::SyncPolicy::kNone
                                           : journal::SyncPolicy::kEveryBatch);
  auto mirror = std::make_unique<Ledger>(simulation_limits());
  if (Status status = journal::decode_snapshot(journal::encode_snapshot(ledger), *mirror);
      !status.is_ok()) {
    return fail("the ledger does not copy: " + status.message());
  }
  journal::Snapshotter snapshotter(storage_,
                                   {.journal_directory = kJournal,
                                    .snapshot_directory = kSnapshots,
                                    .every_events = 20 + pick(150),
                                    .every_seconds = 0,
                                    .keep = 2},
                                   journaler, std::move(mirror), position);
  uint32_t served = 0;
  while (served < options_.requests_per_life) {
    const size_t before = requests_.size();
    if (!serve_group(ledger, journaler)) {
      return result_.passed;  // the power is going
    }
    served += static_cast<uint32_t>(std::max<size_t>(requests_.size() - before, 1));
    if (chance(0.3) && !snapshotter.catch_up()) {
      if (!is_injected(snapshotter.failure())) {
        return fail("the snapshotter failed: " + snapshotter.failure().message());
      }
      note("the power went in the snapshotter: " + snapshotter.failure().message());
      return true;
    }
  }
  result_.snapshots_written += snapshotter.snapshots_written();
  if (cut == PowerCut::kAfterCleanStop) {
    journaler.on_shutdown();
    if (!journaler.failure().is_ok() && !is_injected(journaler.failure())) {
      return fail("the clean stop failed: " + journaler.failure().message());
    }
    ++result_.clean_stops;
    note("stopped cleanly");
  }
  return true;
}

// A group of requests, journaled with one sync. False when the power went during it.
bool Simulation::serve_group(Ledger& ledger, journal::Journaler& journaler) {
  std::vector<size_t> group;
  std::vector<Outcome> events;
  for (uint64_t count = 1 + pick(5); count > 0; --count) {
    group.push_back(next_request());
    if (!apply_request(ledger, group.back(), events)) {
      return false;
    }
  }
  for (size_t index = 0; index < events.size(); ++index) {
    journaler.on_event(events[index], ring_position_++, index + 1 == events.size());
  }
  if (journaler.has_failed()) {
    if (!is_injected(journaler.failure())) {
      return fail("the journal failed: " + journaler.failure().message());
    }
    note("the power went while journaling: " + journaler.failure().message());
    return false;
  }
  const uint64_t synced_before = acknowledged_through_;
  for (const size_t index : group) {
    Request& request = requests_[index];
    request.acknowledged = true;
    acknowledged_through_ = std::max(acknowledged_through_, request.last_sequence);
  }
  // This group's records carry the sync before it, and they are synced now. A group of retries
  // alone wrote no record, and proves nothing.
  const bool wrote = std::any_of(events.begin(), events.end(),
                                 [](const Outcome& event) { return !event.is_replayed_answer(); });
  if (wrote) {
    provably_synced_ = synced_before;
  }
  result_.acknowledged += group.size();
  if (options_.trace) {
    note("acknowledged through " + std::to_string(acknowledged_through_) +
         " (provably synced through " + std::to_string(provably_synced_) + ")");
  }
  return true;
}

// Applies one request (new, or a retry) and checks its answer against what it was told before.
bool Simulation::apply_request(Ledger& ledger, size_t index, std::vector<Outcome>& out) {
  Request& request = requests_[index];
  std::vector<Outcome> events(request.commands.size());
  const CommandBatch batch{.request_id = request.id,
                           .origin = 1,
                           .atomic = request.atomic,
                           .commands = request.commands};
  ledger.apply(batch, clock_ns_,
               {.slots = events.data(),
                .mask = ~uint64_t{0},
                .first = 0,
                .count = static_cast<uint32_t>(events.size())});
  clock_ns_ += 1000 + static_cast<int64_t>(pick(1000));
  ++result_.requests;
  std::vector<AnsweredOutcome> outcomes;
  for (const Outcome& event : events) {
    outcomes.push_back({event.code, event.sequence});
  }
  const bool replayed = events.front().is_replayed_answer();
  if (request.last_sequence != 0) {
    // Applied before and not lost: the window must answer with the original outcome.
    if (!replayed || outcomes != request.outcomes) {
      return fail("a retry of request " + std::to_string(request.id.low) + " got " +
                  (replayed ? "" : "a fresh ") + describe(outcomes.front()) + ", first answered " +
                  describe(request.outcomes.front()));
    }
    ++result_.retries_answered;
  } else {
    if (replayed) {
      return fail("request " + std::to_string(request.id.low) +
                  " was answered as a retry, but nothing of it survived the power loss");
    }
    for (const Outcome& event : events) {
      if (event.sequence != history_.size() + 1) {
        return fail("the ledger gave sequence " + std::to_string(event.sequence) + " after " +
                    std::to_string(history_.size()));
      }
      history_.push_back(event);
    }
    request.outcomes = outcomes;
    request.last_sequence = events.back().sequence;
  }
  out.insert(out.end(), events.begin(), events.end());
  return true;
}

// The next request: usually a new one, sometimes a retry of an earlier one, acknowledged or
// lost in a power cut.
size_t Simulation::next_request() {
  if (!requests_.empty() && chance(0.12)) {
    return pick(requests_.size());
  }
  Request request;
  request.id = {.low = requests_.size() + 1, .high = options_.seed};
  const size_t commands = chance(0.2) ? 2 + pick(3) : 1;
  request.atomic = commands > 1 && chance(0.4);
  for (size_t index = 0; index < commands; ++index) {
    request.commands.push_back(random_command());
  }
  requests_.push_back(std::move(request));
  return requests_.size() - 1;
}

Command Simulation::random_command() {
  const size_t account = pick(kAccounts.size());
  const std::string_view id = kAccounts[account];
  const auto amount = static_cast<int64_t>(1 + pick(500));
  const uint64_t draw = pick(100);
  if (draw < 12 || history_.size() < 8) {
    return open_command(id, account < 8 ? "EUR" : "USD", static_cast<int64_t>(pick(1000)), 0,
                        kOwner);
  }
  if (draw < 45)
    return deposit_command(id, amount);
  if (draw < 65)
    return withdraw_command(id, amount);
  if (draw < 92)
    return transfer_command(id, kAccounts[pick(kAccounts.size())], amount);
  if (draw < 96)
    return freeze_command(id, kReason);
  if (draw < 99)
    return unfreeze_command(id);
  return close_command(id);
}

}  // namespace

SimulationResult simulate_power_loss(const SimulationOptions& options) {
  return Simulation(options).run();
}

std::string reproduce_command(const SimulationOptions& options) {
  return "build-test-release/tests/tally-power-loss --seed " + std::to_string(options.seed) +
         " --lives " + std::to_string(options.lives) + " --requests " +
         std::to_string(options.requests_per_life) + " --trace";
}

}  // namespace tally::testing
