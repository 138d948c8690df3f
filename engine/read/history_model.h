// HistoryModel: the read model of what happened: statements with running balances, event
// trails (the audit log, rejections included), end-of-day balances, transaction search and
// balances as of a past time or sequence.
//
// Answers HistoryQuery, EventTrailQuery, DailyBalancesQuery, TransactionSearchQuery and
// BalanceAsOfQuery. It copies no events: per account it keeps one 16-byte entry per event that
// names the account, the event's journal position and time, flagged when the event is a
// statement entry (it moved the account's money); queries read the events back from the
// journal (JournalRecordReader). Every event already carries the balance after it, so a
// running balance (and an end-of-day balance) is read, never summed. Times are found by binary
// search over the entries (event times never go backwards). A sparse index (one position
// every kSearchMarkEvery events) lets a search over every account start near a time or cursor
// instead of at the journal's beginning.
// A rejection carries the balance and version of its own account only (the ledger records the
// source's current state): for the receiving side of a rejected transfer the model keeps that
// account's state as it was, so its trail shows its own values on either side of a transfer.
// Memory: 16 bytes per event per account it names, plus about 120 per account, plus about 32
// per rejected transfer to an existing account. Applying an event touches the account's index
// slot (which holds its vector and its latest state) and the vector's end. One thread (see
// read_model.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "engine/base/result.h"
#include "engine/journal/journal_record_reader.h"
#include "engine/read/event_checks.h"
#include "engine/read/read_model.h"
#include "engine/read/string_key_map.h"
#include "engine/wire/currency.h"

namespace tally::read {

// One event naming an account. Record offsets are 8-byte aligned, so the offset's lowest bit
// is free to say whether the event is one of the account's statement entries.
class HistoryEntry {
 public:
  HistoryEntry() = default;  // (for reading entries back from a checkpoint in bulk)
  HistoryEntry(journal::JournalPosition position, int64_t timestamp_ns, bool in_statement)
      : position_{position.segment_index, position.offset | (in_statement ? 1u : 0u)},
        timestamp_ns_(timestamp_ns) {}
  journal::JournalPosition position() const {
    return {position_.segment_index, position_.offset & ~1u};
  }
  int64_t timestamp_ns() const { return timestamp_ns_; }
  bool in_statement() const { return (position_.offset & 1u) != 0; }

 private:
  journal::JournalPosition position_;
  int64_t timestamp_ns_ = 0;
};
static_assert(sizeof(HistoryEntry) == 16);
static_assert(std::is_trivially_copyable_v<HistoryEntry>);  // checkpoints copy them as bytes

struct AccountHistory {
  CurrencyCode currency;
  std::vector<HistoryEntry> entries;  // oldest first: the trail; flagged ones the statement
  AccountState latest;                // after the last event that changed the account
};

class HistoryModel final : public ReadModel {
 public:
  static constexpr uint64_t kSearchMarkEvery = 1024;
  // Entries an account starts with room for: most accounts never need to grow.
  static constexpr size_t kInitialEntries = 4;

  HistoryModel(journal::Storage& storage, std::string journal_directory);

  std::string_view name() const override { return "history"; }
  bool answers(protocol::RequestBody type) const override;
  Status apply(const Outcome& event, journal::JournalPosition position) override;
  void reset() override;
  QueryAnswer answer(const protocol::Request& request,
                     flatbuffers::FlatBufferBuilder& builder) override;

  // Checkpoints (history_model_checkpoint.cpp): every account's entries as they are in memory,
  // the search marks and the rejected transfers' receivers; restore checks each entry against
  // the journal's segments and what the checkpoint covers.
  static constexpr uint32_t kStateVersion = 1;
  uint32_t state_version() const override { return kStateVersion; }
  void save(StateWriter& writer) const override;
  Status restore(StateReader& reader, const CheckpointCoverage& covered) override;

  // For tests and the rebuild check: the account's history, or nullptr.
  const AccountHistory* find(std::string_view account_id) const;

 private:
  struct SearchMark {
    uint64_t sequence = 0;
    int64_t timestamp_ns = 0;
    journal::JournalPosition position;
  };
  // One statement entry as the account sees it.
  struct Entry {
    int64_t amount = 0;  // signed: in positive, out negative
    int64_t balance = 0;
    uint64_t version = 0;
    std::string_view counterparty_id;
  };
  static Entry entry_for(const Outcome& event, std::string_view account_id);
  static bool moves_money(const Outcome& event);

  AccountHistory* history_of(std::string_view account_id);
  // The index of the first entry at or after `timestamp_ns` (0: the first entry).
  static size_t first_at_or_after(const std::vector<HistoryEntry>& entries, int64_t timestamp_ns);
  // The index of the first entry after `timestamp_ns` (entries.size(): none).
  static size_t first_after(const std::vector<HistoryEntry>& entries, int64_t timestamp_ns);
  // The index of the first statement entry in [from, end), or `end`.
  static size_t next_statement(const std::vector<HistoryEntry>& entries, size_t from, size_t end);
  // The index of the last statement entry in [begin, before), or nullopt.
  static std::optional<size_t> previous_statement(const std::vector<HistoryEntry>& entries,
                                                  size_t before, size_t begin);
  // The number of leading entries whose record's sequence is at most `sequence`, or why the
  // journal could not say.
  Result<size_t> count_up_to_sequence(const std::vector<HistoryEntry>& entries, uint64_t sequence);
  // `event`, or for a rejected transfer a copy of it in `scratch` with the state it left the
  // receiving side in, which the journal does not record. Other events are already complete.
  const Outcome& with_receiver_state(const Outcome& event, Outcome& scratch) const;
  // The statement line of `entry` as `account_id` sees it, read from the journal into `event`
  // (which the line's counterparty id views), or why it could not be read.
  Result<Entry> entry_at(const HistoryEntry& entry, std::string_view account_id, Outcome& event);
  // apply() once the event is known to fit: adds its entries and the accounts' latest states.
  void record(const Outcome& event, journal::JournalPosition position, AccountHistory* account,
              AccountHistory* counterparty);

  QueryAnswer history(const protocol::HistoryQuery& query, flatbuffers::FlatBufferBuilder& builder);
  QueryAnswer trail(const protocol::EventTrailQuery& query,
                    flatbuffers::FlatBufferBuilder& builder);
  QueryAnswer daily_balances(const protocol::DailyBalancesQuery& query,
                             flatbuffers::FlatBufferBuilder& builder);
  QueryAnswer search(const protocol::TransactionSearchQuery& query,
                     flatbuffers::FlatBufferBuilder& builder);
  QueryAnswer search_account(const protocol::TransactionSearchQuery& query,
                             const AccountHistory& history,
                             flatbuffers::FlatBufferBuilder& builder);
  QueryAnswer search_journal(const protocol::TransactionSearchQuery& query,
                             flatbuffers::FlatBufferBuilder& builder);
  QueryAnswer balance_as_of(const protocol::BalanceAsOfQuery& query,
                            flatbuffers::FlatBufferBuilder& builder);
  static QueryAnswer unreadable(const Status& status);
  // restore()'s parts, each checking what it reads; `segment_bytes`: each segment's size.
  Status restore_marks(StateReader& reader, const CheckpointCoverage& covered);
  Status restore_receivers(StateReader& reader, const CheckpointCoverage& covered);
  Status restore_account(StateReader& reader, const CheckpointCoverage& covered,
                         const std::vector<uint64_t>& segment_bytes);
  // The size of every segment up to the checkpoint's last event, or why one cannot be opened.
  Result<std::vector<uint64_t>> segment_sizes(const CheckpointCoverage& covered);

  journal::Storage& storage_;
  std::string journal_directory_;

  journal::JournalRecordReader reader_;
  // The history lives in the index itself: finding an account brings its vector header along.
  StringKeyMap<AccountHistory> accounts_;
  // Sequence of a rejected transfer -> its receiving account's state then (unchanged by it).
  boost::unordered_flat_map<uint64_t, AccountState> rejected_transfer_receivers_;
  std::vector<SearchMark> search_marks_;
  uint64_t events_applied_ = 0;
  uint64_t last_sequence_ = 0;
  int64_t last_timestamp_ns_ = 0;  // entries are searched by time: it never goes back
};

}  // namespace tally::read
