// AccountModel: the read model of accounts as they are now: details, balances, owners,
// reserve per currency, top balances and each account's activity summary.
//
// Answers AccountQuery, BalanceQuery, AccountListQuery, ReserveQuery, TopAccountsQuery and
// AccountSummaryQuery. Applying an event is a hash lookup or two and a few additions: the
// per-currency reserve is kept as it changes; top accounts are found when asked, by one pass
// over the currency's balances (kept dense, apart from the rest of an account's details).
// An account's state is split by how often it changes, so that applying an event touches the
// index and one or two cache lines of the account.
// Memory per account: 192 bytes of activity, about 120 of profile plus the id, owner and freeze
// reason past 15 bytes, 8 of dense balance and about 50 of indexes. One thread (see
// read_model.h).
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "engine/base/wide_sum.h"
#include "engine/read/event_checks.h"
#include "engine/read/read_model.h"
#include "engine/read/string_key_map.h"
#include "engine/wire/currency.h"

namespace tally::read {

// What an account's events change, packed for the apply path: the first cache line holds
// what every event touches, the sums of the summary follow.
struct alignas(64) AccountActivity {
  int64_t balance = 0;
  uint64_t version = 0;
  int64_t updated_ns = 0;  // the last change of state (rejections change none)
  int64_t first_activity_ns = 0;
  int64_t last_activity_ns = 0;  // the last event, rejections included
  uint32_t currency_index = 0;
  AccountStatus status = AccountStatus::Active;
  uint64_t deposits = 0;  // the opening deposit included
  uint64_t withdrawals = 0;
  WideSum deposited = 0;
  WideSum withdrawn = 0;
  WideSum transferred_in = 0;
  WideSum transferred_out = 0;
  uint64_t transfers_in = 0;
  uint64_t transfers_out = 0;
  uint64_t rejections = 0;
};

// What an account's events rarely change: read by queries, not by the apply path.
struct AccountProfile {
  std::string account_id;
  std::string owner;
  std::string freeze_reason;  // while frozen
  AccountType account_type = AccountType::Checking;
  CurrencyCode currency;
  int64_t overdraft_limit = 0;
  uint64_t opened_sequence = 0;
  int64_t created_ns = 0;
};

struct CurrencyTotals {
  CurrencyCode currency;
  WideSum total_balance = 0;  // the reserve: the sum of the members' balances, kept as they change
  // What the events' amounts say the members hold: opening deposits and deposits, less
  // withdrawals (a transfer stays within one currency). Always equal to total_balance (asserted).
  WideSum net_inflow = 0;
  uint64_t accounts = 0;
  uint64_t frozen = 0;
  uint64_t closed = 0;
  std::vector<uint32_t> members;  // account indexes, in opening order
};

class AccountModel final : public ReadModel {
 public:
  std::string_view name() const override { return "accounts"; }
  bool answers(protocol::RequestBody type) const override;
  Status apply(const Outcome& event, journal::JournalPosition position) override;
  void reset() override;
  QueryAnswer answer(const protocol::Request& request,
                     flatbuffers::FlatBufferBuilder& builder) override;

  // Checkpoints (account_model_checkpoint.cpp): each account's profile and activity; indexes,
  // dense balances and per-currency totals are rebuilt from them on restore.
  static constexpr uint32_t kStateVersion = 1;
  uint32_t state_version() const override { return kStateVersion; }
  void save(StateWriter& writer) const override;
  Status restore(StateReader& reader, const CheckpointCoverage& covered) override;

  size_t account_count() const { return profiles_.size(); }

 private:
  static constexpr uint32_t kNotFound = UINT32_MAX;

  uint32_t index_of(std::string_view account_id) const;
  // The index of the account a query names, or the error to answer it with.
  std::variant<uint32_t, QueryAnswer> locate(const flatbuffers::String* account_id) const;
  uint32_t currency_index(CurrencyCode currency);
  AccountState state_of(uint32_t index) const {
    return {activity_[index].balance, activity_[index].version};
  }
  // apply() once the event is known to fit: the account exists (for all but an opening).
  void open(const Outcome& event);
  Status apply_to(uint32_t index, const Outcome& event);
  void set_balance(uint32_t index, int64_t balance, uint64_t version, int64_t timestamp_ns);
  void set_status(uint32_t index, AccountStatus status, uint64_t version, int64_t timestamp_ns);
  static void touch(AccountActivity& account, int64_t timestamp_ns);
  // restore() of one account, checked against the accounts before it and what is covered.
  Status restore_account(StateReader& reader, const CheckpointCoverage& covered);
  // Adds a restored account to the indexes and its currency's totals.
  void index_restored(AccountProfile profile, const AccountActivity& account);

  QueryAnswer account(const protocol::AccountQuery& query, flatbuffers::FlatBufferBuilder& builder);
  QueryAnswer balance(const protocol::BalanceQuery& query, flatbuffers::FlatBufferBuilder& builder);
  QueryAnswer list(const protocol::AccountListQuery& query,
                   flatbuffers::FlatBufferBuilder& builder);
  QueryAnswer reserve(const protocol::ReserveQuery& query, flatbuffers::FlatBufferBuilder& builder);
  QueryAnswer top(const protocol::TopAccountsQuery& query, flatbuffers::FlatBufferBuilder& builder);
  QueryAnswer summary(const protocol::AccountSummaryQuery& query,
                      flatbuffers::FlatBufferBuilder& builder);
  flatbuffers::Offset<protocol::AccountDetails> details(uint32_t index,
                                                        flatbuffers::FlatBufferBuilder& builder);

  // By account index, in opening order.
  std::vector<AccountActivity> activity_;
  std::vector<AccountProfile> profiles_;
  std::vector<int64_t> balances_;  // a copy of each balance, dense for top-accounts scans
  StringKeyMap<uint32_t> by_id_;
  StringKeyMap<std::vector<uint32_t>> by_owner_;
  std::vector<CurrencyTotals> currencies_;  // in order of first use
  uint64_t last_sequence_ = 0;              // of the last event applied
  int64_t last_timestamp_ns_ = 0;
};

}  // namespace tally::read
