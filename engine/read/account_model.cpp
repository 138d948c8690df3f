#include "engine/read/account_model.h"

#include <algorithm>
#include <queue>

#include "engine/base/invariant.h"
#include "engine/read/query_support.h"

namespace tally::read {

using protocol::RequestBody;
using protocol::ResponseBody;

bool AccountModel::answers(RequestBody type) const {
  switch (type) {
    case RequestBody::AccountQuery:
    case RequestBody::BalanceQuery:
    case RequestBody::AccountListQuery:
    case RequestBody::ReserveQuery:
    case RequestBody::TopAccountsQuery:
    case RequestBody::AccountSummaryQuery:
      return true;
    default:
      return false;
  }
}

void AccountModel::reset() {
  last_sequence_ = 0;
  last_timestamp_ns_ = 0;
  activity_.clear();
  profiles_.clear();
  balances_.clear();
  by_id_.clear();
  by_owner_.clear();
  currencies_.clear();
}

uint32_t AccountModel::index_of(std::string_view account_id) const {
  const auto found = by_id_.find(account_id);
  return found == by_id_.end() ? kNotFound : found->second;
}

uint32_t AccountModel::currency_index(CurrencyCode currency) {
  for (uint32_t index = 0; index < currencies_.size(); ++index) {
    if (currencies_[index].currency == currency) {
      return index;
    }
  }
  CurrencyTotals totals;
  totals.currency = currency;
  currencies_.push_back(std::move(totals));
  return static_cast<uint32_t>(currencies_.size() - 1);
}

void AccountModel::touch(AccountActivity& account, int64_t timestamp_ns) {
  account.updated_ns = timestamp_ns;
  if (account.first_activity_ns == 0) {
    account.first_activity_ns = timestamp_ns;
  }
  account.last_activity_ns = timestamp_ns;
}

void AccountModel::open(const Outcome& event) {
  const auto index = static_cast<uint32_t>(profiles_.size());
  AccountProfile profile;
  profile.account_id = std::string(event.account_id.view());
  profile.owner = std::string(event.text.view());
  profile.account_type = event.account_type;
  profile.currency = event.currency;
  profile.overdraft_limit = event.overdraft_limit;
  profile.opened_sequence = event.sequence;
  profile.created_ns = event.timestamp_ns;
  AccountActivity& account = activity_.emplace_back();
  account.balance = event.balance;
  account.version = event.version;
  account.currency_index = currency_index(event.currency);
  if (event.amount > 0) {
    account.deposited = event.amount;
    account.deposits = 1;
  }
  touch(account, event.timestamp_ns);
  CurrencyTotals& totals = currencies_[account.currency_index];
  totals.total_balance += event.balance;
  totals.net_inflow += event.amount;
  TALLY_ASSERT(totals.total_balance == totals.net_inflow);
  ++totals.accounts;
  totals.members.push_back(index);
  by_id_.emplace(profile.account_id, index);
  by_owner_[profile.owner].push_back(index);
  profiles_.push_back(std::move(profile));
  balances_.push_back(event.balance);
}

void AccountModel::set_balance(uint32_t index, int64_t balance, uint64_t version,
                               int64_t timestamp_ns) {
  AccountActivity& account = activity_[index];
  currencies_[account.currency_index].total_balance +=
      static_cast<WideSum>(balance) - account.balance;
  account.balance = balance;
  balances_[index] = balance;  // a store only: the apply path never reads it
  account.version = version;
  touch(account, timestamp_ns);
}

void AccountModel::set_status(uint32_t index, AccountStatus status, uint64_t version,
                              int64_t timestamp_ns) {
  AccountActivity& account = activity_[index];
  CurrencyTotals& totals = currencies_[account.currency_index];
  // An account leaves a status it is counted in: counts never go below zero, and never count
  // more accounts than there are.
  TALLY_ASSERT(account.status != AccountStatus::Frozen || totals.frozen > 0);
  TALLY_ASSERT(account.status != AccountStatus::Closed || totals.closed > 0);
  totals.frozen -= account.status == AccountStatus::Frozen ? 1 : 0;
  totals.closed -= account.status == AccountStatus::Closed ? 1 : 0;
  account.status = status;
  totals.frozen += status == AccountStatus::Frozen ? 1 : 0;
  totals.closed += status == AccountStatus::Closed ? 1 : 0;
  TALLY_ASSERT(totals.frozen + totals.closed <= totals.accounts);
  account.version = version;
  touch(account, timestamp_ns);
}

Status AccountModel::apply(const Outcome& event, journal::JournalPosition /*position*/) {
  // The projector hands over events in journal order, and has refused times that go back.
  TALLY_ASSERT(event.sequence > last_sequence_);
  TALLY_ASSERT(event.timestamp_ns >= last_timestamp_ns_);
  const uint32_t index = index_of(event.account_id.view());
  Status status;
  if (event.type == EventType::AccountOpened) {
    status = index == kNotFound ? check_opening(event) : opened_twice(event);
    if (status.is_ok()) {
      open(event);
    }
  } else if (index != kNotFound) {
    status = apply_to(index, event);
  } else if (event.type != EventType::CommandRejected) {
    status = never_opened(event, event.account_id.view());
  }  // (else a rejection naming an account that does not exist: nothing changes)
  if (status.is_ok()) {
    last_sequence_ = event.sequence;
    last_timestamp_ns_ = event.timestamp_ns;
  }
  return status;
}

Status AccountModel::apply_to(uint32_t index, const Outcome& event) {
  AccountActivity& account = activity_[index];
  if (event.type == EventType::CommandRejected) {
    ++account.rejections;
    const int64_t updated_ns = account.updated_ns;  // a rejection changes only the activity
    touch(account, event.timestamp_ns);
    account.updated_ns = updated_ns;
    return Status::ok();
  }
  if (!is_known_event_type(event.type)) {
    return unknown_event_type(event);
  }
  if (Status status = check_change(event, Side::kAccount, state_of(index)); !status.is_ok()) {
    return status;
  }
  CurrencyTotals& totals = currencies_[account.currency_index];
  switch (event.type) {
    case EventType::Deposited:
      account.deposited += event.amount;
      ++account.deposits;
      totals.net_inflow += event.amount;
      set_balance(index, event.balance, event.version, event.timestamp_ns);
      break;
    case EventType::Withdrawn:
      account.withdrawn += event.amount;
      ++account.withdrawals;
      totals.net_inflow -= event.amount;
      set_balance(index, event.balance, event.version, event.timestamp_ns);
      break;
    case EventType::Transferred: {
      const uint32_t destination = index_of(event.counterparty_id.view());
      if (destination == kNotFound) {
        return never_opened(event, event.counterparty_id.view());
      }
      // (currencies by index: the profiles are not on the apply path)
      if (Status status =
              check_transfer(event, destination != index, totals.currency,
                             currencies_[activity_[destination].currency_index].currency);
          !status.is_ok()) {
        return status;
      }
      if (Status status = check_change(event, Side::kCounterparty, state_of(destination));
          !status.is_ok()) {
        return status;
      }
      account.transferred_out += event.amount;
      ++account.transfers_out;
      set_balance(index, event.balance, event.version, event.timestamp_ns);
      activity_[destination].transferred_in += event.amount;
      ++activity_[destination].transfers_in;
      set_balance(destination, event.counterparty_balance, event.counterparty_version,
                  event.timestamp_ns);
      break;
    }
    case EventType::AccountFrozen:
      profiles_[index].freeze_reason = std::string(event.text.view());
      set_status(index, AccountStatus::Frozen, event.version, event.timestamp_ns);
      break;
    case EventType::AccountUnfrozen:
      profiles_[index].freeze_reason.clear();
      set_status(index, AccountStatus::Active, event.version, event.timestamp_ns);
      break;
    case EventType::AccountClosed:
      set_status(index, AccountStatus::Closed, event.version, event.timestamp_ns);
      break;
    default:
      break;
  }
  // The reserve, kept from the balances the events record, is what their amounts add up to.
  TALLY_ASSERT(totals.total_balance == totals.net_inflow);
  return Status::ok();
}

QueryAnswer AccountModel::answer(const protocol::Request& request,
                                 flatbuffers::FlatBufferBuilder& builder) {
  switch (request.body_type()) {
    case RequestBody::AccountQuery:
      return account(*request.body_as_AccountQuery(), builder);
    case RequestBody::BalanceQuery:
      return balance(*request.body_as_BalanceQuery(), builder);
    case RequestBody::AccountListQuery:
      return list(*request.body_as_AccountListQuery(), builder);
    case RequestBody::ReserveQuery:
      return reserve(*request.body_as_ReserveQuery(), builder);
    case RequestBody::TopAccountsQuery:
      return top(*request.body_as_TopAccountsQuery(), builder);
    case RequestBody::AccountSummaryQuery:
      return summary(*request.body_as_AccountSummaryQuery(), builder);
    default:
      return QueryAnswer::error(ResultCode::InvalidArgument, "not an accounts query");
  }
}

flatbuffers::Offset<protocol::AccountDetails> AccountModel::details(
    uint32_t index, flatbuffers::FlatBufferBuilder& builder) {
  const AccountProfile& profile = profiles_[index];
  const AccountActivity& account = activity_[index];
  const auto account_id = builder.CreateString(profile.account_id);
  const auto owner = builder.CreateString(profile.owner);
  const auto currency = builder.CreateString(profile.currency.to_string());
  const auto reason =
      profile.freeze_reason.empty() ? 0 : builder.CreateString(profile.freeze_reason);
  protocol::AccountDetailsBuilder details(builder);
  details.add_account_id(account_id);
  details.add_owner(owner);
  details.add_account_type(profile.account_type);
  details.add_currency(currency);
  details.add_status(account.status);
  details.add_balance(account.balance);
  details.add_overdraft_limit(profile.overdraft_limit);
  details.add_version(account.version);
  details.add_created_ns(profile.created_ns);
  details.add_updated_ns(account.updated_ns);
  details.add_opened_sequence(profile.opened_sequence);
  if (!reason.IsNull()) {
    details.add_freeze_reason(reason);
  }
  return details.Finish();
}

std::variant<uint32_t, QueryAnswer> AccountModel::locate(
    const flatbuffers::String* account_id) const {
  const std::string_view id = view_of(account_id);
  if (id.empty()) {
    return missing_account_id();
  }
  const uint32_t index = index_of(id);
  if (index == kNotFound) {
    return unknown_account(id);
  }
  return index;
}

QueryAnswer AccountModel::account(const protocol::AccountQuery& query,
                                  flatbuffers::FlatBufferBuilder& builder) {
  const std::variant<uint32_t, QueryAnswer> located = locate(query.account_id());
  if (const auto* refused = std::get_if<QueryAnswer>(&located)) {
    return *refused;
  }
  const uint32_t index = std::get<uint32_t>(located);
  const auto account = details(index, builder);
  return QueryAnswer::of(ResponseBody::AccountResult,
                         protocol::CreateAccountResult(builder, account));
}

QueryAnswer AccountModel::balance(const protocol::BalanceQuery& query,
                                  flatbuffers::FlatBufferBuilder& builder) {
  const std::variant<uint32_t, QueryAnswer> located = locate(query.account_id());
  if (const auto* refused = std::get_if<QueryAnswer>(&located)) {
    return *refused;
  }
  const uint32_t index = std::get<uint32_t>(located);
  const AccountActivity& account = activity_[index];
  return QueryAnswer::of(
      ResponseBody::BalanceResult,
      protocol::CreateBalanceResult(builder, builder.CreateString(profiles_[index].account_id),
                                    builder.CreateString(profiles_[index].currency.to_string()),
                                    account.balance, account.version, account.status));
}

QueryAnswer AccountModel::list(const protocol::AccountListQuery& query,
                               flatbuffers::FlatBufferBuilder& builder) {
  if (auto refused = check_limit(query.limit(), kPageEntriesMax)) {
    return *refused;
  }
  const std::string_view owner = view_of(query.owner());
  const std::vector<uint32_t>* owned = nullptr;
  if (!owner.empty()) {
    const auto found = by_owner_.find(owner);
    static const std::vector<uint32_t> kNone;
    owned = found == by_owner_.end() ? &kNone : &found->second;
  }
  const uint64_t total = owned != nullptr ? owned->size() : profiles_.size();
  const uint64_t begin = std::min<uint64_t>(query.cursor(), total);
  const uint64_t end = std::min<uint64_t>(begin + query.limit(), total);
  std::vector<flatbuffers::Offset<protocol::AccountDetails>> page;
  page.reserve(end - begin);
  for (uint64_t position = begin; position < end; ++position) {
    page.push_back(
        details(owned != nullptr ? (*owned)[position] : static_cast<uint32_t>(position), builder));
  }
  const auto accounts = builder.CreateVector(page);
  return QueryAnswer::of(
      ResponseBody::AccountListResult,
      protocol::CreateAccountListResult(builder, accounts, end < total ? end : 0, total));
}

QueryAnswer AccountModel::reserve(const protocol::ReserveQuery& query,
                                  flatbuffers::FlatBufferBuilder& builder) {
  const std::string_view wanted = view_of(query.currency());
  std::optional<CurrencyCode> only;
  if (!wanted.empty()) {
    only = CurrencyCode::parse(wanted);
    if (!only) {
      return QueryAnswer::error(ResultCode::InvalidArgument,
                                "currency must be three letters A-Z, like EUR");
    }
  }
  std::vector<const CurrencyTotals*> chosen;
  for (const CurrencyTotals& totals : currencies_) {
    if (!only || totals.currency == *only) {
      chosen.push_back(&totals);
    }
  }
  std::sort(chosen.begin(), chosen.end(),
            [](const CurrencyTotals* left, const CurrencyTotals* right) {
              return left->currency.to_string() < right->currency.to_string();
            });
  std::vector<flatbuffers::Offset<protocol::CurrencyReserve>> reserves;
  for (const CurrencyTotals* totals : chosen) {
    const protocol::Int128 total = to_wire_int128(totals->total_balance);
    reserves.push_back(protocol::CreateCurrencyReserve(
        builder, builder.CreateString(totals->currency.to_string()), &total, totals->accounts,
        totals->accounts - totals->frozen - totals->closed, totals->frozen, totals->closed));
  }
  const auto currencies = builder.CreateVector(reserves);
  return QueryAnswer::of(ResponseBody::ReserveResult,
                         protocol::CreateReserveResult(builder, currencies));
}

QueryAnswer AccountModel::top(const protocol::TopAccountsQuery& query,
                              flatbuffers::FlatBufferBuilder& builder) {
  if (auto refused = check_limit(query.limit(), kTopAccountsMax)) {
    return *refused;
  }
  const std::optional<CurrencyCode> currency = CurrencyCode::parse(view_of(query.currency()));
  if (!currency) {
    return QueryAnswer::error(ResultCode::InvalidArgument,
                              "currency is required: three letters A-Z, like EUR");
  }
  // Ranks higher: the larger balance; on a tie, the account opened first.
  const auto ranks_higher = [this](uint32_t left, uint32_t right) {
    return balances_[left] != balances_[right] ? balances_[left] > balances_[right] : left < right;
  };
  // A heap of the best `limit` so far, the weakest of them on top.
  std::priority_queue<uint32_t, std::vector<uint32_t>, decltype(ranks_higher)> best(ranks_higher);
  for (const CurrencyTotals& totals : currencies_) {
    if (totals.currency != *currency) {
      continue;
    }
    for (const uint32_t index : totals.members) {
      if (activity_[index].status == AccountStatus::Closed) {
        continue;
      }
      if (best.size() < query.limit()) {
        best.push(index);
      } else if (ranks_higher(index, best.top())) {
        best.pop();
        best.push(index);
      }
    }
  }
  std::vector<uint32_t> ranked;
  for (; !best.empty(); best.pop()) {
    ranked.push_back(best.top());
  }
  std::reverse(ranked.begin(), ranked.end());
  std::vector<flatbuffers::Offset<protocol::AccountBalance>> entries;
  for (const uint32_t index : ranked) {
    entries.push_back(protocol::CreateAccountBalance(
        builder, builder.CreateString(profiles_[index].account_id),
        builder.CreateString(profiles_[index].owner), balances_[index]));
  }
  const auto accounts = builder.CreateVector(entries);
  return QueryAnswer::of(ResponseBody::TopAccountsResult,
                         protocol::CreateTopAccountsResult(
                             builder, builder.CreateString(currency->to_string()), accounts));
}

QueryAnswer AccountModel::summary(const protocol::AccountSummaryQuery& query,
                                  flatbuffers::FlatBufferBuilder& builder) {
  const std::variant<uint32_t, QueryAnswer> located = locate(query.account_id());
  if (const auto* refused = std::get_if<QueryAnswer>(&located)) {
    return *refused;
  }
  const uint32_t index = std::get<uint32_t>(located);
  const AccountActivity& account = activity_[index];
  const protocol::Int128 deposited = to_wire_int128(account.deposited);
  const protocol::Int128 withdrawn = to_wire_int128(account.withdrawn);
  const protocol::Int128 transferred_in = to_wire_int128(account.transferred_in);
  const protocol::Int128 transferred_out = to_wire_int128(account.transferred_out);
  const auto id = builder.CreateString(profiles_[index].account_id);
  const auto currency = builder.CreateString(profiles_[index].currency.to_string());
  protocol::AccountSummaryResultBuilder result(builder);
  result.add_account_id(id);
  result.add_currency(currency);
  result.add_deposited(&deposited);
  result.add_deposits(account.deposits);
  result.add_withdrawn(&withdrawn);
  result.add_withdrawals(account.withdrawals);
  result.add_transferred_in(&transferred_in);
  result.add_transfers_in(account.transfers_in);
  result.add_transferred_out(&transferred_out);
  result.add_transfers_out(account.transfers_out);
  result.add_rejections(account.rejections);
  result.add_first_activity_ns(account.first_activity_ns);
  result.add_last_activity_ns(account.last_activity_ns);
  return QueryAnswer::of(ResponseBody::AccountSummaryResult, result.Finish());
}

}  // namespace tally::read
