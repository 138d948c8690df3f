// HistoryModel: the read model of what happened: statements with running balances, event
// trails (the audit log, rejections included), end-of-day balances, transaction search and
// balances as of a past time or sequence.
//
// Answers HistoryQuery, EventTrailQuery, DailyBalancesQuery, TransactionSearchQuery and
// BalanceAsOfQuery. It copies no events: per account it keeps the journal positions of its
// statement entries and of its trail (8 bytes each), and one closing balance per day with
// activity; queries read the events back from the journal (JournalRecordReader). Every event
// already carries the balance after it, so a running balance is read, never summed. Times are
// found by binary search over the positions (event times never go backwards). A sparse index
// (one position every kCheckpointEvery events) lets a search over every account start near a
// time or cursor instead of at the journal's beginning.
// Memory per event: 8 bytes per account it names (16 for a statement entry). One thread (see
// read_model.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/currency.h"
#include "engine/journal/journal_record_reader.h"
#include "engine/read/read_model.h"
#include "engine/read/string_key_map.h"

namespace tally::read {

struct DailyClose {
  int32_t day = 0;  // days since 1970-01-01, UTC
  int64_t balance = 0;
};

struct AccountHistory {
  CurrencyCode currency;
  std::vector<journal::JournalPosition> statement;  // money moved, oldest first
  std::vector<journal::JournalPosition> trail;      // every event naming the account
  std::vector<DailyClose> closes;                   // one per day with a statement entry
};

class HistoryModel final : public ReadModel {
 public:
  static constexpr uint64_t kCheckpointEvery = 1024;

  HistoryModel(journal::Storage& storage, std::string journal_directory);

  std::string_view name() const override { return "history"; }
  bool answers(protocol::RequestBody type) const override;
  void apply(const Event& event, journal::JournalPosition position) override;
  void reset() override;
  QueryAnswer answer(const protocol::Request& request,
                     flatbuffers::FlatBufferBuilder& builder) override;

  // For tests and the rebuild check: the account's history, or nullptr.
  const AccountHistory* find(std::string_view account_id) const;

 private:
  struct Checkpoint {
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
  static Entry entry_for(const Event& event, std::string_view account_id);
  static bool moves_money(const Event& event);

  AccountHistory* history_of(std::string_view account_id);
  void add_statement_entry(AccountHistory& history, journal::JournalPosition position,
                           const Event& event, int64_t balance);
  // The first index of `positions` whose event is at or after `timestamp_ns` (0: none before).
  std::optional<size_t> first_at_or_after(const std::vector<journal::JournalPosition>& positions,
                                          int64_t timestamp_ns, Status& status);
  // The number of leading entries of `positions` whose event satisfies `before`.
  template <typename Before>
  std::optional<size_t> count_before(const std::vector<journal::JournalPosition>& positions,
                                     Before before, Status& status);

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

  journal::JournalRecordReader reader_;
  StringKeyMap<uint32_t> by_id_;
  std::vector<AccountHistory> accounts_;
  std::vector<Checkpoint> checkpoints_;
  uint64_t events_applied_ = 0;
  uint64_t last_sequence_ = 0;
};

}  // namespace tally::read
