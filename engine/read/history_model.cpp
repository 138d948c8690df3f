#include "engine/read/history_model.h"

#include <algorithm>
#include <chrono>

#include "engine/base/invariant.h"
#include "engine/read/query_support.h"
#include "engine/wire/wire_encoder.h"

namespace tally::read {

using journal::JournalPosition;
using protocol::RequestBody;
using protocol::ResponseBody;

namespace {

// True if the event passes the search's type and amount filters.
bool matches(const Outcome& event, const protocol::TransactionSearchQuery& query) {
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
    : storage_(storage),
      journal_directory_(journal_directory),
      reader_(storage, journal_directory) {}

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
  last_timestamp_ns_ = 0;
  accounts_.clear();
  rejected_transfer_receivers_.clear();
  search_marks_.clear();
  events_applied_ = 0;
  last_sequence_ = 0;
}

const AccountHistory* HistoryModel::find(std::string_view account_id) const {
  const auto found = accounts_.find(account_id);
  return found == accounts_.end() ? nullptr : &found->second;
}

AccountHistory* HistoryModel::history_of(std::string_view account_id) {
  const auto found = accounts_.find(account_id);
  return found == accounts_.end() ? nullptr : &found->second;
}

bool HistoryModel::moves_money(const Outcome& event) {
  return event.type == EventType::Deposited || event.type == EventType::Withdrawn ||
         event.type == EventType::Transferred ||
         (event.type == EventType::AccountOpened && event.amount > 0);
}

HistoryModel::Entry HistoryModel::entry_for(const Outcome& event, std::string_view account_id) {
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

Status HistoryModel::apply(const Outcome& event, JournalPosition position) {
  // The projector hands over events in journal order, and has refused times that go back (the
  // entries are binary-searched by time).
  TALLY_ASSERT(event.sequence > last_sequence_);
  TALLY_ASSERT(event.timestamp_ns >= last_timestamp_ns_);
  const std::string_view account_id = event.account_id.view();
  if (event.type == EventType::AccountOpened) {
    Status status = history_of(account_id) == nullptr ? check_opening(event) : opened_twice(event);
    if (status.is_ok()) {
      record(event, position, nullptr, nullptr);
    }
    return status;
  }
  AccountHistory* account = history_of(account_id);
  const std::string_view counterparty_id = event.counterparty_id.view();
  AccountHistory* counterparty = counterparty_id.empty() ? nullptr : history_of(counterparty_id);
  if (event.type != EventType::CommandRejected) {
    // Accepted: it names accounts that exist and moves them as it says. (A rejection names any
    // account, or none that exists, and changes nothing.)
    if (!is_known_event_type(event.type)) {
      return unknown_event_type(event);
    }
    if (account == nullptr) {
      return never_opened(event, account_id);
    }
    if (Status status = check_change(event, Side::kAccount, account->latest); !status.is_ok()) {
      return status;
    }
    if (event.type == EventType::Transferred) {
      if (counterparty == nullptr) {
        return never_opened(event, counterparty_id);
      }
      if (Status status = check_transfer(event, counterparty != account, account->currency,
                                         counterparty->currency);
          !status.is_ok()) {
        return status;
      }
      if (Status status = check_change(event, Side::kCounterparty, counterparty->latest);
          !status.is_ok()) {
        return status;
      }
    }
  }
  record(event, position, account, counterparty == account ? nullptr : counterparty);
  return Status::ok();
}

void HistoryModel::record(const Outcome& event, JournalPosition position, AccountHistory* account,
                          AccountHistory* counterparty) {
  if (events_applied_ % kSearchMarkEvery == 0) {
    search_marks_.push_back({event.sequence, event.timestamp_ns, position});
  }
  ++events_applied_;
  last_sequence_ = event.sequence;
  last_timestamp_ns_ = event.timestamp_ns;
  if (event.type == EventType::AccountOpened) {
    AccountHistory& history = accounts_[std::string(event.account_id.view())];
    history.currency = event.currency;
    history.entries.reserve(kInitialEntries);
    history.entries.emplace_back(position, event.timestamp_ns, true);  // the opening line
    history.latest = {event.balance, event.version};
    return;
  }
  const bool in_statement = moves_money(event);
  const bool rejected = event.type == EventType::CommandRejected;
  if (account != nullptr) {
    account->entries.emplace_back(position, event.timestamp_ns, in_statement);
    if (!rejected) {
      account->latest = {event.balance, event.version};
    }
  }
  if (counterparty != nullptr) {
    counterparty->entries.emplace_back(position, event.timestamp_ns, in_statement);
    if (rejected) {
      rejected_transfer_receivers_.emplace(event.sequence, counterparty->latest);
    } else {
      counterparty->latest = {event.counterparty_balance, event.counterparty_version};
    }
  }
}

const Outcome& HistoryModel::with_receiver_state(const Outcome& event, Outcome& scratch) const {
  if (event.type != EventType::CommandRejected) {
    return event;
  }
  const auto receiver = rejected_transfer_receivers_.find(event.sequence);
  if (receiver == rejected_transfer_receivers_.end()) {
    return event;
  }
  scratch = event;
  scratch.counterparty_balance = receiver->second.balance;
  scratch.counterparty_version = receiver->second.version;
  return scratch;
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

size_t HistoryModel::first_at_or_after(const std::vector<HistoryEntry>& entries,
                                       int64_t timestamp_ns) {
  return static_cast<size_t>(std::partition_point(entries.begin(), entries.end(),
                                                  [timestamp_ns](const HistoryEntry& entry) {
                                                    return entry.timestamp_ns() < timestamp_ns;
                                                  }) -
                             entries.begin());
}

size_t HistoryModel::first_after(const std::vector<HistoryEntry>& entries, int64_t timestamp_ns) {
  return static_cast<size_t>(std::partition_point(entries.begin(), entries.end(),
                                                  [timestamp_ns](const HistoryEntry& entry) {
                                                    return entry.timestamp_ns() <= timestamp_ns;
                                                  }) -
                             entries.begin());
}

size_t HistoryModel::next_statement(const std::vector<HistoryEntry>& entries, size_t from,
                                    size_t end) {
  while (from < end && !entries[from].in_statement()) {
    ++from;
  }
  return from;
}

std::optional<size_t> HistoryModel::previous_statement(const std::vector<HistoryEntry>& entries,
                                                       size_t before, size_t begin) {
  while (before > begin) {
    --before;
    if (entries[before].in_statement()) {
      return before;
    }
  }
  return std::nullopt;
}

Result<size_t> HistoryModel::count_up_to_sequence(const std::vector<HistoryEntry>& entries,
                                                  uint64_t sequence) {
  size_t low = 0;
  size_t high = entries.size();
  while (low < high) {
    const size_t middle = low + (high - low) / 2;
    const Result<journal::RecordHeader> header = reader_.read_header(entries[middle].position());
    if (!header.is_ok()) {
      return header.status();
    }
    if (header->sequence <= sequence) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return low;
}

Result<HistoryModel::Entry> HistoryModel::entry_at(const HistoryEntry& entry,
                                                   std::string_view account_id, Outcome& event) {
  const Result<const journal::JournalRecord*> record = reader_.read(entry.position());
  if (!record.is_ok()) {
    return record.status();
  }
  event = (*record)->event;
  return entry_for(event, account_id);
}

QueryAnswer HistoryModel::history(const protocol::HistoryQuery& query,
                                  flatbuffers::FlatBufferBuilder& builder) {
  const std::string_view account_id = view_of(query.account_id());
  if (account_id.empty()) {
    return missing_account_id();
  }
  if (auto refused = check_limit(query.limit(), kPageEntriesMax)) {
    return *refused;
  }
  if (auto refused = check_time_range(query.from_ns(), query.to_ns())) {
    return *refused;
  }
  if (query.order() != protocol::Order::NewestFirst &&
      query.order() != protocol::Order::OldestFirst) {
    return QueryAnswer::error(ResultCode::InvalidArgument,
                              "order is neither NewestFirst nor OldestFirst");
  }
  const AccountHistory* account = find(account_id);
  if (account == nullptr) {
    return unknown_account(account_id);
  }
  const std::vector<HistoryEntry>& entries = account->entries;
  const size_t low = first_at_or_after(entries, query.from_ns());
  const size_t high =
      query.to_ns() == 0 ? entries.size() : first_at_or_after(entries, query.to_ns());
  // The entries to read, in the order asked for; the cursor is where the last page stopped.
  std::vector<size_t> indexes;
  uint64_t next_cursor = 0;
  if (query.order() == protocol::Order::OldestFirst) {
    size_t index = next_statement(entries, std::max<size_t>(low, query.cursor()), high);
    for (; index < high && indexes.size() < query.limit();
         index = next_statement(entries, index + 1, high)) {
      indexes.push_back(index);
    }
    next_cursor = index < high ? index : 0;
  } else {
    const size_t end = query.cursor() == 0 ? high : std::min<size_t>(query.cursor(), high);
    std::optional<size_t> index = previous_statement(entries, end, low);
    for (; index && indexes.size() < query.limit();
         index = previous_statement(entries, *index, low)) {
      indexes.push_back(*index);
    }
    next_cursor = index ? indexes.back() : 0;  // the next page: entries before the last one
  }
  std::vector<flatbuffers::Offset<protocol::StatementEntry>> lines;
  lines.reserve(indexes.size());
  Outcome event;
  for (const size_t index : indexes) {
    const Result<Entry> entry = entry_at(entries[index], account_id, event);
    if (!entry.is_ok()) {
      return unreadable(entry.status());
    }
    const auto counterparty =
        entry->counterparty_id.empty() ? 0 : builder.CreateString(entry->counterparty_id);
    const protocol::Uint128 transaction = to_wire(event.transaction_id);
    const std::string_view transaction_text = event.transaction_text();
    const auto text = transaction_text.empty() ? 0 : builder.CreateString(transaction_text);
    protocol::StatementEntryBuilder line(builder);
    line.add_sequence(event.sequence);
    line.add_timestamp_ns(event.timestamp_ns);
    line.add_type(event.type);
    line.add_amount(entry->amount);
    line.add_balance(entry->balance);
    if (!counterparty.IsNull()) {
      line.add_counterparty_id(counterparty);
    }
    if ((event.flags & kHasTransactionId) != 0) {
      line.add_transaction_id(&transaction);
    }
    if (!text.IsNull()) {
      line.add_transaction_text(text);
    }
    lines.push_back(line.Finish());
  }
  const auto list = builder.CreateVector(lines);
  const auto id = builder.CreateString(account_id);
  const auto currency = builder.CreateString(account->currency.to_string());
  return QueryAnswer::of(ResponseBody::HistoryResult,
                         protocol::CreateHistoryResult(builder, id, currency, list, next_cursor));
}

QueryAnswer HistoryModel::trail(const protocol::EventTrailQuery& query,
                                flatbuffers::FlatBufferBuilder& builder) {
  const std::string_view account_id = view_of(query.account_id());
  if (account_id.empty()) {
    return missing_account_id();
  }
  if (auto refused = check_limit(query.limit(), kPageEntriesMax)) {
    return *refused;
  }
  const AccountHistory* account = find(account_id);
  if (account == nullptr) {
    return unknown_account(account_id);
  }
  const std::vector<HistoryEntry>& entries = account->entries;
  const size_t begin = std::min<size_t>(query.cursor(), entries.size());
  const size_t end = std::min<size_t>(begin + query.limit(), entries.size());
  std::vector<flatbuffers::Offset<protocol::Event>> events;
  events.reserve(end - begin);
  Outcome completed;
  for (size_t index = begin; index < end; ++index) {
    const Result<const journal::JournalRecord*> record = reader_.read(entries[index].position());
    if (!record.is_ok()) {
      return unreadable(record.status());
    }
    events.push_back(encode_event(with_receiver_state((*record)->event, completed), builder));
  }
  const auto list = builder.CreateVector(events);
  return QueryAnswer::of(
      ResponseBody::EventTrailResult,
      protocol::CreateEventTrailResult(builder, list, end < entries.size() ? end : 0));
}

QueryAnswer HistoryModel::daily_balances(const protocol::DailyBalancesQuery& query,
                                         flatbuffers::FlatBufferBuilder& builder) {
  const std::string_view account_id = view_of(query.account_id());
  if (account_id.empty()) {
    return missing_account_id();
  }
  if (query.from_day() < 0) {
    // Outcome times are never negative, so no day before 1970-01-01 has a balance; refusing
    // them also keeps a day's bounds in nanoseconds within int64.
    return QueryAnswer::error(ResultCode::InvalidArgument, "from_day is before 1970-01-01 (day 0)");
  }
  if (query.to_day() < query.from_day()) {
    return QueryAnswer::error(ResultCode::InvalidArgument, "to_day is before from_day");
  }
  if (static_cast<int64_t>(query.to_day()) - query.from_day() >= kDailyBalanceDaysMax) {
    return QueryAnswer::error(
        ResultCode::LimitExceeded,
        "at most " + std::to_string(kDailyBalanceDaysMax) + " days per request");
  }
  const AccountHistory* account = find(account_id);
  if (account == nullptr) {
    return unknown_account(account_id);
  }
  constexpr int64_t kNanosecondsPerDay = 86'400'000'000'000;
  const std::vector<HistoryEntry>& entries = account->entries;
  // Days still to come are left out; that also keeps each day's bounds (in nanoseconds) within
  // int64, which ends in 2262.
  const int32_t last_day = std::min(query.to_day(), today());
  // The balance at the end of a day is the one after the day's last statement entry, or the
  // last one before it: walk the days and the entries together.
  size_t next = first_at_or_after(
      entries, int64_t{std::min(query.from_day(), last_day)} * kNanosecondsPerDay);
  std::optional<size_t> in_force = previous_statement(entries, next, 0);
  std::optional<size_t> read_for;  // the statement entry `balance` was read from
  int64_t balance = 0;
  Outcome event;
  std::vector<protocol::DailyBalance> days;  // structs in a vector: CreateVectorOfStructs
  for (int32_t day = query.from_day(); day <= last_day; ++day) {
    const int64_t day_end_ns = (int64_t{day} + 1) * kNanosecondsPerDay;
    for (; next < entries.size() && entries[next].timestamp_ns() < day_end_ns; ++next) {
      if (entries[next].in_statement()) {
        in_force = next;
      }
    }
    if (!in_force) {
      continue;  // not opened yet
    }
    if (read_for != in_force) {
      const Result<Entry> entry = entry_at(entries[*in_force], account_id, event);
      if (!entry.is_ok()) {
        return unreadable(entry.status());
      }
      balance = entry->balance;
      read_for = in_force;
    }
    days.push_back(protocol::DailyBalance(day, balance));
  }
  const auto series = builder.CreateVectorOfStructs(days);
  const auto id = builder.CreateString(account_id);
  const auto currency = builder.CreateString(account->currency.to_string());
  return QueryAnswer::of(ResponseBody::DailyBalancesResult,
                         protocol::CreateDailyBalancesResult(builder, id, currency, series));
}

QueryAnswer HistoryModel::search(const protocol::TransactionSearchQuery& query,
                                 flatbuffers::FlatBufferBuilder& builder) {
  if (auto refused = check_limit(query.limit(), kPageEntriesMax)) {
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
  const std::vector<HistoryEntry>& entries = account.entries;
  const size_t high =
      query.to_ns() == 0 ? entries.size() : first_at_or_after(entries, query.to_ns());
  std::vector<flatbuffers::Offset<protocol::Event>> found;
  uint64_t scanned = 0;
  size_t index = next_statement(
      entries, std::max<size_t>(first_at_or_after(entries, query.from_ns()), query.cursor()), high);
  for (; index < high && found.size() < query.limit() && scanned < kSearchScanLimit;
       index = next_statement(entries, index + 1, high)) {
    const Result<const journal::JournalRecord*> record = reader_.read(entries[index].position());
    if (!record.is_ok()) {
      return unreadable(record.status());
    }
    ++scanned;
    const Outcome& event = (*record)->event;
    if (moves_money(event) && matches(event, query)) {
      found.push_back(encode_event(event, builder));
    }
  }
  const auto events = builder.CreateVector(found);
  return QueryAnswer::of(
      ResponseBody::TransactionSearchResult,
      protocol::CreateTransactionSearchResult(builder, events, index < high ? index : 0, scanned));
}

QueryAnswer HistoryModel::search_journal(const protocol::TransactionSearchQuery& query,
                                         flatbuffers::FlatBufferBuilder& builder) {
  // Start at the last search mark before both the cursor (a sequence) and the start time, so
  // that what is read before the first event looked at stays under kSearchMarkEvery events.
  // Both conditions turn from false to true once along the marks, so their conjunction
  // does too (a partition).
  const uint64_t from_sequence = query.cursor();
  const auto starts_after = [&](const SearchMark& mark) {
    return mark.sequence > from_sequence &&
           (query.from_ns() == 0 || mark.timestamp_ns >= query.from_ns());
  };
  auto start = std::partition_point(search_marks_.begin(), search_marks_.end(),
                                    [&](const SearchMark& mark) { return !starts_after(mark); });
  std::vector<flatbuffers::Offset<protocol::Event>> found;
  uint64_t scanned = 0;
  uint64_t next_cursor = 0;
  if (start != search_marks_.begin()) {
    --start;
  }
  if (start != search_marks_.end()) {
    JournalPosition position = start->position;
    while (true) {
      const Result<const journal::JournalRecord*> record = reader_.read(position);
      if (!record.is_ok()) {
        return unreadable(record.status());
      }
      const Outcome& event = (*record)->event;  // the reader's own, until the next read
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
      position = (*record)->next;
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
  if ((query.at_ns() != 0) == (query.at_sequence() != 0)) {
    return QueryAnswer::error(ResultCode::InvalidArgument,
                              "give exactly one of at_ns and at_sequence");
  }
  if (query.at_ns() < 0) {
    return QueryAnswer::error(ResultCode::InvalidArgument, "at_ns is negative");
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
  const std::vector<HistoryEntry>& entries = account->entries;
  const Result<size_t> count = query.at_sequence() != 0
                                   ? count_up_to_sequence(entries, query.at_sequence())
                                   : Result<size_t>(first_after(entries, query.at_ns()));
  if (!count.is_ok()) {
    return unreadable(count.status());
  }
  const auto id = builder.CreateString(account_id);
  const std::optional<size_t> in_force = previous_statement(entries, *count, 0);
  if (!in_force) {
    return QueryAnswer::of(ResponseBody::BalanceAsOfResult,
                           protocol::CreateBalanceAsOfResult(builder, id, false));
  }
  Outcome event;
  const Result<Entry> entry = entry_at(entries[*in_force], account_id, event);
  if (!entry.is_ok()) {
    return unreadable(entry.status());
  }
  return QueryAnswer::of(
      ResponseBody::BalanceAsOfResult,
      protocol::CreateBalanceAsOfResult(builder, id, true, entry->balance, entry->version,
                                        event.sequence, event.timestamp_ns));
}

}  // namespace tally::read
