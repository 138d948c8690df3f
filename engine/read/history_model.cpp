#include "engine/read/history_model.h"

#include <algorithm>
#include <chrono>

#include "engine/read/query_support.h"
#include "engine/wire_encoder.h"

namespace tally::read {

using journal::JournalPosition;
using protocol::RequestBody;
using protocol::ResponseBody;

namespace {

// True if the event passes the search's type and amount filters.
bool matches(const Event& event, const protocol::TransactionSearchQuery& query) {
  if (query.type() != EventType::Unknown && event.type != query.type()) {
    return false;
  }
  return event.amount >= query.min_amount() &&
         (query.max_amount() == 0 || event.amount <= query.max_amount());
}

int32_t today() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return day_of(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count());
}

}  // namespace

HistoryModel::HistoryModel(journal::Storage& storage, std::string journal_directory)
    : reader_(storage, std::move(journal_directory)) {}

bool HistoryModel::answers(RequestBody type) const {
  switch (type) {
    case RequestBody::HistoryQuery:
    case RequestBody::EventTrailQuery:
    case RequestBody::DailyBalancesQuery:
    case RequestBody::TransactionSearchQuery:
    case RequestBody::BalanceAsOfQuery:
      return true;
    default:
      return false;
  }
}

void HistoryModel::reset() {
  reader_.close();
  by_id_.clear();
  accounts_.clear();
  checkpoints_.clear();
  events_applied_ = 0;
  last_sequence_ = 0;
}

const AccountHistory* HistoryModel::find(std::string_view account_id) const {
  const auto found = by_id_.find(account_id);
  return found == by_id_.end() ? nullptr : &accounts_[found->second];
}

AccountHistory* HistoryModel::history_of(std::string_view account_id) {
  const auto found = by_id_.find(account_id);
  return found == by_id_.end() ? nullptr : &accounts_[found->second];
}

bool HistoryModel::moves_money(const Event& event) {
  return event.type == EventType::Deposited || event.type == EventType::Withdrawn ||
         event.type == EventType::Transferred ||
         (event.type == EventType::AccountOpened && event.amount > 0);
}

HistoryModel::Entry HistoryModel::entry_for(const Event& event, std::string_view account_id) {
  switch (event.type) {
    case EventType::Withdrawn:
      return {-event.amount, event.balance, event.version, {}};
    case EventType::Transferred:
      if (event.account_id.view() == account_id) {
        return {-event.amount, event.balance, event.version, event.counterparty_id.view()};
      }
      return {event.amount, event.counterparty_balance, event.counterparty_version,
              event.account_id.view()};
    default:
      return {event.amount, event.balance, event.version, {}};
  }
}

void HistoryModel::add_statement_entry(AccountHistory& history, JournalPosition position,
                                       const Event& event, int64_t balance) {
  history.statement.push_back(position);
  const int32_t day = day_of(event.timestamp_ns);
  if (history.closes.empty() || history.closes.back().day != day) {
    history.closes.push_back({day, balance});
  } else {
    history.closes.back().balance = balance;
  }
}

void HistoryModel::apply(const Event& event, JournalPosition position) {
  if (events_applied_ % kCheckpointEvery == 0) {
    checkpoints_.push_back({event.sequence, event.timestamp_ns, position});
  }
  ++events_applied_;
  last_sequence_ = event.sequence;
  AccountHistory* history = nullptr;
  if (event.type == EventType::AccountOpened) {
    by_id_.emplace(std::string(event.account_id.view()), static_cast<uint32_t>(accounts_.size()));
    accounts_.emplace_back();
    accounts_.back().currency = event.currency;
    history = &accounts_.back();
    history->trail.push_back(position);
    add_statement_entry(*history, position, event, event.balance);  // the opening line
    return;
  }
  history = history_of(event.account_id.view());
  AccountHistory* counterparty =
      event.counterparty_id.size() == 0 ? nullptr : history_of(event.counterparty_id.view());
  if (history != nullptr) {
    history->trail.push_back(position);
  }
  if (counterparty != nullptr && counterparty != history) {
    counterparty->trail.push_back(position);
  }
  if (!moves_money(event)) {
    return;
  }
  if (history != nullptr) {
    add_statement_entry(*history, position, event, event.balance);
  }
  if (event.type == EventType::Transferred && counterparty != nullptr) {
    add_statement_entry(*counterparty, position, event, event.counterparty_balance);
  }
}

QueryAnswer HistoryModel::answer(const protocol::Request& request,
                                 flatbuffers::FlatBufferBuilder& builder) {
  switch (request.body_type()) {
    case RequestBody::HistoryQuery:
      return history(*request.body_as_HistoryQuery(), builder);
    case RequestBody::EventTrailQuery:
      return trail(*request.body_as_EventTrailQuery(), builder);
    case RequestBody::DailyBalancesQuery:
      return daily_balances(*request.body_as_DailyBalancesQuery(), builder);
    case RequestBody::TransactionSearchQuery:
      return search(*request.body_as_TransactionSearchQuery(), builder);
    case RequestBody::BalanceAsOfQuery:
      return balance_as_of(*request.body_as_BalanceAsOfQuery(), builder);
    default:
      return QueryAnswer::error(ResultCode::InvalidArgument, "not a history query");
  }
}

QueryAnswer HistoryModel::unreadable(const Status& status) {
  return QueryAnswer::error(ResultCode::Unavailable,
                            "the journal could not be read: " + status.message());
}

template <typename Before>
std::optional<size_t> HistoryModel::count_before(const std::vector<JournalPosition>& positions,
                                                 Before before, Status& status) {
  size_t low = 0;
  size_t high = positions.size();
  while (low < high) {
    const size_t middle = low + (high - low) / 2;
    const std::optional<journal::RecordHeader> header =
        reader_.read_header(positions[middle], status);
    if (!header) {
      return std::nullopt;
    }
    if (before(*header)) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return low;
}

std::optional<size_t> HistoryModel::first_at_or_after(const std::vector<JournalPosition>& positions,
                                                      int64_t timestamp_ns, Status& status) {
  if (timestamp_ns == 0) {
    return size_t{0};
  }
  return count_before(
      positions,
      [timestamp_ns](const journal::RecordHeader& header) {
        return header.timestamp_ns < timestamp_ns;
      },
      status);
}

QueryAnswer HistoryModel::history(const protocol::HistoryQuery& query,
                                  flatbuffers::FlatBufferBuilder& builder) {
  const std::string_view account_id = view_of(query.account_id());
  if (account_id.empty()) {
    return missing_account_id();
  }
  if (auto refused = check_limit(query.limit(), kMaxPageEntries)) {
    return *refused;
  }
  if (auto refused = check_time_range(query.from_ns(), query.to_ns())) {
    return *refused;
  }
  const AccountHistory* account = find(account_id);
  if (account == nullptr) {
    return unknown_account(account_id);
  }
  const std::vector<JournalPosition>& statement = account->statement;
  Status status;
  const std::optional<size_t> low = first_at_or_after(statement, query.from_ns(), status);
  const std::optional<size_t> high =
      query.to_ns() == 0 ? statement.size() : first_at_or_after(statement, query.to_ns(), status);
  if (!low || !high) {
    return unreadable(status);
  }
  // The indexes to read, in the order asked for; the cursor is where the last page stopped.
  std::vector<size_t> indexes;
  uint64_t next_cursor = 0;
  if (query.order() == protocol::Order::OldestFirst) {
    const size_t begin = std::max<size_t>(*low, query.cursor());
    for (size_t index = begin; index < *high && indexes.size() < query.limit(); ++index) {
      indexes.push_back(index);
    }
    const size_t end = indexes.empty() ? begin : indexes.back() + 1;
    next_cursor = end < *high ? end : 0;
  } else {
    const size_t end = query.cursor() == 0 ? *high : std::min<size_t>(query.cursor(), *high);
    for (size_t index = end; index > *low && indexes.size() < query.limit(); --index) {
      indexes.push_back(index - 1);
    }
    next_cursor = !indexes.empty() && indexes.back() > *low ? indexes.back() : 0;
  }
  std::vector<flatbuffers::Offset<protocol::StatementEntry>> entries;
  entries.reserve(indexes.size());
  for (const size_t index : indexes) {
    const std::optional<journal::JournalRecord> record = reader_.read(statement[index], status);
    if (!record) {
      return unreadable(status);
    }
    const Event& event = record->event;
    const Entry entry = entry_for(event, account_id);
    const auto counterparty =
        entry.counterparty_id.empty() ? 0 : builder.CreateString(entry.counterparty_id);
    const protocol::Uint128 transaction = to_wire(event.transaction_id);
    protocol::StatementEntryBuilder line(builder);
    line.add_sequence(event.sequence);
    line.add_timestamp_ns(event.timestamp_ns);
    line.add_type(event.type);
    line.add_amount(entry.amount);
    line.add_balance(entry.balance);
    if (!counterparty.IsNull()) {
      line.add_counterparty_id(counterparty);
    }
    if ((event.flags & kHasTransactionId) != 0) {
      line.add_transaction_id(&transaction);
    }
    entries.push_back(line.Finish());
  }
  const auto lines = builder.CreateVector(entries);
  const auto id = builder.CreateString(account_id);
  const auto currency = builder.CreateString(account->currency.to_string());
  return QueryAnswer::of(ResponseBody::HistoryResult,
                         protocol::CreateHistoryResult(builder, id, currency, lines, next_cursor));
}

QueryAnswer HistoryModel::trail(const protocol::EventTrailQuery& query,
                                flatbuffers::FlatBufferBuilder& builder) {
  const std::string_view account_id = view_of(query.account_id());
  if (account_id.empty()) {
    return missing_account_id();
  }
  if (auto refused = check_limit(query.limit(), kMaxPageEntries)) {
    return *refused;
  }
  const AccountHistory* account = find(account_id);
  if (account == nullptr) {
    return unknown_account(account_id);
  }
  const size_t begin = std::min<size_t>(query.cursor(), account->trail.size());
  const size_t end = std::min<size_t>(begin + query.limit(), account->trail.size());
  std::vector<flatbuffers::Offset<protocol::Event>> events;
  events.reserve(end - begin);
  Status status;
  for (size_t index = begin; index < end; ++index) {
    const std::optional<journal::JournalRecord> record =
        reader_.read(account->trail[index], status);
    if (!record) {
      return unreadable(status);
    }
    events.push_back(encode_event(record->event, builder));
  }
  const auto list = builder.CreateVector(events);
  return QueryAnswer::of(
      ResponseBody::EventTrailResult,
      protocol::CreateEventTrailResult(builder, list, end < account->trail.size() ? end : 0));
}

QueryAnswer HistoryModel::daily_balances(const protocol::DailyBalancesQuery& query,
                                         flatbuffers::FlatBufferBuilder& builder) {
  const std::string_view account_id = view_of(query.account_id());
  if (account_id.empty()) {
    return missing_account_id();
  }
  if (query.to_day() < query.from_day()) {
    return QueryAnswer::error(ResultCode::InvalidArgument, "to_day is before from_day");
  }
  if (static_cast<int64_t>(query.to_day()) - query.from_day() >= kMaxDailyBalanceDays) {
    return QueryAnswer::error(
        ResultCode::LimitExceeded,
        "at most " + std::to_string(kMaxDailyBalanceDays) + " days per request");
  }
  const AccountHistory* account = find(account_id);
  if (account == nullptr) {
    return unknown_account(account_id);
  }
  const std::vector<DailyClose>& closes = account->closes;
  // The close in force on a day is the last one on or before it.
  auto next_close =
      std::upper_bound(closes.begin(), closes.end(), query.from_day(),
                       [](int32_t day, const DailyClose& close) { return day < close.day; });
  std::vector<protocol::DailyBalance> days;  // structs in a vector: CreateVectorOfStructs
  const int32_t last_day = std::min(query.to_day(), today());
  for (int32_t day = query.from_day(); day <= last_day; ++day) {
    while (next_close != closes.end() && next_close->day <= day) {
      ++next_close;
    }
    if (next_close == closes.begin()) {
      continue;  // not opened yet
    }
    days.push_back(protocol::DailyBalance(day, std::prev(next_close)->balance));
  }
  const auto series = builder.CreateVectorOfStructs(days);
  const auto id = builder.CreateString(account_id);
  const auto currency = builder.CreateString(account->currency.to_string());
  return QueryAnswer::of(ResponseBody::DailyBalancesResult,
                         protocol::CreateDailyBalancesResult(builder, id, currency, series));
}

QueryAnswer HistoryModel::search(const protocol::TransactionSearchQuery& query,
                                 flatbuffers::FlatBufferBuilder& builder) {
  if (auto refused = check_limit(query.limit(), kMaxPageEntries)) {
    return *refused;
  }
  if (auto refused = check_time_range(query.from_ns(), query.to_ns())) {
    return *refused;
  }
  if (query.min_amount() < 0 || query.max_amount() < 0 ||
      (query.max_amount() != 0 && query.max_amount() < query.min_amount())) {
    return QueryAnswer::error(ResultCode::InvalidArgument,
                              "amounts must be positive and min_amount at most max_amount");
  }
  const EventType type = query.type();
  if (type != EventType::Unknown && type != EventType::AccountOpened &&
      type != EventType::Deposited && type != EventType::Withdrawn &&
      type != EventType::Transferred) {
    return QueryAnswer::error(ResultCode::InvalidArgument,
                              "type must be one that moves money: AccountOpened, Deposited, "
                              "Withdrawn or Transferred");
  }
  const std::string_view account_id = view_of(query.account_id());
  if (account_id.empty()) {
    return search_journal(query, builder);
  }
  const AccountHistory* account = find(account_id);
  if (account == nullptr) {
    return unknown_account(account_id);
  }
  return search_account(query, *account, builder);
}

QueryAnswer HistoryModel::search_account(const protocol::TransactionSearchQuery& query,
                                         const AccountHistory& account,
                                         flatbuffers::FlatBufferBuilder& builder) {
  const std::vector<JournalPosition>& statement = account.statement;
  Status status;
  const std::optional<size_t> low = first_at_or_after(statement, query.from_ns(), status);
  const std::optional<size_t> high =
      query.to_ns() == 0 ? statement.size() : first_at_or_after(statement, query.to_ns(), status);
  if (!low || !high) {
    return unreadable(status);
  }
  std::vector<flatbuffers::Offset<protocol::Event>> found;
  uint64_t scanned = 0;
  size_t index = std::max<size_t>(*low, query.cursor());
  for (; index < *high && found.size() < query.limit() && scanned < kSearchScanLimit; ++index) {
    const std::optional<journal::JournalRecord> record = reader_.read(statement[index], status);
    if (!record) {
      return unreadable(status);
    }
    ++scanned;
    if (moves_money(record->event) && matches(record->event, query)) {
      found.push_back(encode_event(record->event, builder));
    }
  }
  const auto events = builder.CreateVector(found);
  return QueryAnswer::of(
      ResponseBody::TransactionSearchResult,
      protocol::CreateTransactionSearchResult(builder, events, index < *high ? index : 0, scanned));
}

QueryAnswer HistoryModel::search_journal(const protocol::TransactionSearchQuery& query,
                                         flatbuffers::FlatBufferBuilder& builder) {
  // Start at the last checkpoint before the cursor (a sequence) or the start time.
  const uint64_t from_sequence = query.cursor();
  const auto starts_after = [&](const Checkpoint& checkpoint) {
    return from_sequence != 0 ? checkpoint.sequence > from_sequence
                              : checkpoint.timestamp_ns >= query.from_ns() && query.from_ns() != 0;
  };
  auto start =
      std::partition_point(checkpoints_.begin(), checkpoints_.end(),
                           [&](const Checkpoint& checkpoint) { return !starts_after(checkpoint); });
  std::vector<flatbuffers::Offset<protocol::Event>> found;
  uint64_t scanned = 0;
  uint64_t next_cursor = 0;
  if (start != checkpoints_.begin()) {
    --start;
  }
  if (start != checkpoints_.end()) {
    JournalPosition position = start->position;
    Status status;
    while (true) {
      const std::optional<journal::JournalRecord> record = reader_.read(position, status);
      if (!record) {
        return unreadable(status);
      }
      const Event& event = record->event;
      if (query.to_ns() != 0 && event.timestamp_ns >= query.to_ns()) {
        break;
      }
      const bool before_start =
          event.sequence < from_sequence || event.timestamp_ns < query.from_ns();
      if (!before_start) {
        if (found.size() == query.limit() || scanned == kSearchScanLimit) {
          next_cursor = event.sequence;
          break;
        }
        ++scanned;
        if (moves_money(event) && matches(event, query)) {
          found.push_back(encode_event(event, builder));
        }
      }
      if (event.sequence >= last_sequence_) {
        break;
      }
      position = record->next;
    }
  }
  const auto events = builder.CreateVector(found);
  return QueryAnswer::of(
      ResponseBody::TransactionSearchResult,
      protocol::CreateTransactionSearchResult(builder, events, next_cursor, scanned));
}

QueryAnswer HistoryModel::balance_as_of(const protocol::BalanceAsOfQuery& query,
                                        flatbuffers::FlatBufferBuilder& builder) {
  const std::string_view account_id = view_of(query.account_id());
  if (account_id.empty()) {
    return missing_account_id();
  }
  if ((query.at_ns() != 0) == (query.at_sequence() != 0) || query.at_ns() < 0) {
    return QueryAnswer::error(ResultCode::InvalidArgument,
                              "give exactly one of at_ns and at_sequence");
  }
  if (query.at_sequence() > last_sequence_) {
    return QueryAnswer::error(ResultCode::InvalidArgument,
                              "at_sequence " + std::to_string(query.at_sequence()) +
                                  " is past what this read model has applied (" +
                                  std::to_string(last_sequence_) +
                                  "); send min_sequence to wait for it");
  }
  const AccountHistory* account = find(account_id);
  if (account == nullptr) {
    return unknown_account(account_id);
  }
  Status status;
  const std::optional<size_t> count = count_before(
      account->statement,
      [&query](const journal::RecordHeader& header) {
        return query.at_sequence() != 0 ? header.sequence <= query.at_sequence()
                                        : header.timestamp_ns <= query.at_ns();
      },
      status);
  if (!count) {
    return unreadable(status);
  }
  const auto id = builder.CreateString(account_id);
  if (*count == 0) {
    return QueryAnswer::of(ResponseBody::BalanceAsOfResult,
                           protocol::CreateBalanceAsOfResult(builder, id, false));
  }
  const std::optional<journal::JournalRecord> record =
      reader_.read(account->statement[*count - 1], status);
  if (!record) {
    return unreadable(status);
  }
  const Entry entry = entry_for(record->event, account_id);
  return QueryAnswer::of(
      ResponseBody::BalanceAsOfResult,
      protocol::CreateBalanceAsOfResult(builder, id, true, entry.balance, entry.version,
                                        record->event.sequence, record->event.timestamp_ns));
}

}  // namespace tally::read
