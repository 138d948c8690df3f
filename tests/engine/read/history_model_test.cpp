// HistoryModel on its own: events written to a real journal (small segments, so an account's
// history spans several), applied to the model with the positions they were written at, and
// queries built as a client would build them. The edge cases the end-to-end tests do not
// reach: pages that end exactly on the last entry, empty time ranges, daily balances over quiet
// days, balances as of before the opening, search filters, and every limit.
#include "engine/read/history_model.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/base/id_text.h"
#include "engine/journal/journal_tail.h"
#include "engine/journal/journal_writer.h"
#include "engine/journal/posix_storage.h"
#include "support/event_script.h"
#include "support/model_query.h"

namespace tally::read {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kHour = 3600 * kSecond;
constexpr int64_t kDay = 24 * kHour;
constexpr int32_t kD0 = 19'700;  // 2023-12-09
// Room for two or three records (a segment must hold its header and a record of the largest
// size, 56 + 544 bytes): every account's history crosses segments.
constexpr uint64_t kTinySegment = 768;

// Unix nanoseconds of `day` (days since 1970) plus `offset_ns`.
constexpr int64_t at(int32_t day, int64_t offset_ns = 0) {
  return int64_t{day} * kDay + offset_ns;
}

using Reply = testing::ModelReply;

// "sequence type amount =balance [counterparty]" for a statement entry.
std::string line_of(const protocol::StatementEntry* entry) {
  std::string line = std::to_string(entry->sequence()) + " " +
                     protocol::EnumNameEventType(entry->type()) + " " +
                     std::to_string(entry->amount()) + " =" + std::to_string(entry->balance());
  if (entry->counterparty_id() != nullptr) {
    line += " " + std::string(entry->counterparty_id()->string_view());
  }
  return line;
}

// "sequence type amount account" for an event of a trail or a search.
std::string event_of(const protocol::Event* event) {
  return std::to_string(event->sequence()) + " " + protocol::EnumNameEventType(event->type()) +
         " " + std::to_string(event->amount()) + " " +
         std::string(event->account_id()->string_view());
}

using Lines = std::vector<std::string>;

struct Page {
  Lines lines;
  uint64_t next_cursor = 0;
};

class HistoryModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tally-history-model-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    data = pattern;
    journal_directory = data + "/journal";
    start_journal(kTinySegment);
  }
  // An empty journal of `segment_bytes` segments, and a model reading it.
  void start_journal(uint64_t segment_bytes) {
    model.reset();
    writer.reset();
    std::filesystem::remove_all(journal_directory);
    ASSERT_EQ(::mkdir(journal_directory.c_str(), 0755), 0);
    writer = std::make_unique<journal::JournalWriter>(
        storage, journal::JournalWriterConfig{.directory = journal_directory,
                                              .segment_bytes = segment_bytes});
    ASSERT_TRUE(writer->open({}, 0).is_ok());
    model = std::make_unique<HistoryModel>(storage, journal_directory);
  }
  void TearDown() override {
    model.reset();
    writer.reset();
    std::filesystem::remove_all(data);
  }

  // Journals the script's events, then applies each to the model with the position the
  // journal holds it at (read back as a projector does).
  void load() {
    for (const Outcome& event : script.events) {
      ASSERT_TRUE(writer->append(event).is_ok());
    }
    ASSERT_TRUE(writer->sync().is_ok());
    journal::JournalTail tail(storage, journal_directory, journal::AppendPosition{});
    for (const Outcome& event : script.events) {
      const Result<const Outcome*> read = tail.next(writer->durable_sequence());
      ASSERT_TRUE(read.is_ok()) << read.status().message();
      ASSERT_NE(*read, nullptr);
      ASSERT_EQ((*read)->sequence, event.sequence);
      const Status applied = model->apply(event, tail.last_position());
      ASSERT_TRUE(applied.is_ok()) << applied.message();
    }
  }

  template <typename MakeBody>
  Reply ask(protocol::RequestBody type, MakeBody make_body) {
    return testing::ask_model(*model, type, make_body);
  }

  Reply history(std::string_view id, protocol::Order order, uint32_t limit, uint64_t cursor = 0,
                int64_t from_ns = 0, int64_t to_ns = 0) {
    return ask(protocol::RequestBody::HistoryQuery, [&](auto& builder) {
      return protocol::CreateHistoryQuery(builder, id.empty() ? 0 : builder.CreateString(id), order,
                                          from_ns, to_ns, limit, cursor);
    });
  }
  Page history_page(std::string_view id, protocol::Order order, uint32_t limit, uint64_t cursor = 0,
                    int64_t from_ns = 0, int64_t to_ns = 0) {
    const Reply reply = history(id, order, limit, cursor, from_ns, to_ns);
    const auto* result = reply.as<protocol::HistoryResult>();
    Page page;
    if (result != nullptr) {
      EXPECT_EQ(result->account_id()->string_view(), id);
      for (const protocol::StatementEntry* entry : *result->entries()) {
        page.lines.push_back(line_of(entry));
      }
      page.next_cursor = result->next_cursor();
    }
    return page;
  }
  Reply trail(std::string_view id, uint64_t cursor, uint32_t limit) {
    return ask(protocol::RequestBody::EventTrailQuery, [&](auto& builder) {
      return protocol::CreateEventTrailQuery(builder, builder.CreateString(id), cursor, limit);
    });
  }
  Page trail_page(std::string_view id, uint64_t cursor, uint32_t limit) {
    const Reply reply = trail(id, cursor, limit);
    const auto* result = reply.as<protocol::EventTrailResult>();
    Page page;
    if (result != nullptr) {
      for (const protocol::Event* event : *result->events()) {
        page.lines.push_back(event_of(event));
      }
      page.next_cursor = result->next_cursor();
    }
    return page;
  }
  Reply daily(std::string_view id, int32_t from_day, int32_t to_day) {
    return ask(protocol::RequestBody::DailyBalancesQuery, [&](auto& builder) {
      return protocol::CreateDailyBalancesQuery(builder, id.empty() ? 0 : builder.CreateString(id),
                                                from_day, to_day);
    });
  }
  // (day, balance) pairs.
  std::vector<std::pair<int32_t, int64_t>> days_of(std::string_view id, int32_t from_day,
                                                   int32_t to_day) {
    const Reply reply = daily(id, from_day, to_day);
    const auto* result = reply.as<protocol::DailyBalancesResult>();
    std::vector<std::pair<int32_t, int64_t>> days;
    if (result != nullptr) {
      EXPECT_EQ(result->currency()->string_view(), "EUR");
      for (const protocol::DailyBalance* day : *result->days()) {
        days.emplace_back(day->day(), day->balance());
      }
    }
    return days;
  }
  Reply balance_as_of(std::string_view id, int64_t at_ns, uint64_t at_sequence) {
    return ask(protocol::RequestBody::BalanceAsOfQuery, [&](auto& builder) {
      return protocol::CreateBalanceAsOfQuery(builder, id.empty() ? 0 : builder.CreateString(id),
                                              at_ns, at_sequence);
    });
  }
  // "no" before the opening, else "balance v<version> @<sequence>".
  std::string as_of(std::string_view id, int64_t at_ns, uint64_t at_sequence) {
    const Reply reply = balance_as_of(id, at_ns, at_sequence);
    const auto* result = reply.as<protocol::BalanceAsOfResult>();
    if (result == nullptr) {
      return "error";
    }
    if (!result->existed()) {
      return "no";
    }
    return std::to_string(result->balance()) + " v" + std::to_string(result->version()) + " @" +
           std::to_string(result->sequence());
  }
  // Filters as a client sets them, unset ones at the query's defaults.
  struct SearchFilter {
    std::string_view account_id;
    EventType type = EventType::Unknown;
    int64_t min_amount = 0;
    int64_t max_amount = 0;
    int64_t from_ns = 0;
    int64_t to_ns = 0;
    uint32_t limit = 100;
    uint64_t cursor = 0;

    SearchFilter& of(std::string_view id) {
      account_id = id;
      return *this;
    }
    SearchFilter& only(EventType wanted) {
      type = wanted;
      return *this;
    }
    SearchFilter& amounts(int64_t min, int64_t max) {
      min_amount = min;
      max_amount = max;
      return *this;
    }
    SearchFilter& between(int64_t from, int64_t to) {
      from_ns = from;
      to_ns = to;
      return *this;
    }
    SearchFilter& page(uint32_t size, uint64_t after = 0) {
      limit = size;
      cursor = after;
      return *this;
    }
  };
  Reply search(const SearchFilter& filter) {
    return ask(protocol::RequestBody::TransactionSearchQuery, [&](auto& builder) {
      return protocol::CreateTransactionSearchQuery(
          builder, filter.account_id.empty() ? 0 : builder.CreateString(filter.account_id),
          filter.type, filter.min_amount, filter.max_amount, filter.from_ns, filter.to_ns,
          filter.limit, filter.cursor);
    });
  }
  Page search_page(const SearchFilter& filter, uint64_t* scanned = nullptr) {
    const Reply reply = search(filter);
    const auto* result = reply.as<protocol::TransactionSearchResult>();
    Page page;
    if (result != nullptr) {
      for (const protocol::Event* event : *result->events()) {
        page.lines.push_back(event_of(event));
      }
      page.next_cursor = result->next_cursor();
      if (scanned != nullptr) {
        *scanned = result->scanned();
      }
    }
    return page;
  }

  std::string data;
  std::string journal_directory;
  journal::PosixStorage storage;
  std::unique_ptr<journal::JournalWriter> writer;
  std::unique_ptr<HistoryModel> model;
  testing::EventScript script;
};

constexpr auto kNewest = protocol::Order::NewestFirst;
constexpr auto kOldest = protocol::Order::OldestFirst;

// Account h: six statement entries among freezes and a rejection; k its transfer partner.
void write_statement_story(testing::EventScript& script) {
  script.when(at(kD0, 1 * kHour)).open("h", "EUR", 100);      // 1
  script.when(at(kD0, 2 * kHour)).deposit("h", 50, {77, 0});  // 2: h 150
  script.when(at(kD0, 3 * kHour)).freeze("h");                // 3
  script.when(at(kD0, 4 * kHour)).unfreeze("h");              // 4
  script.when(at(kD0, 5 * kHour)).withdraw("h", 30);          // 5: h 120
  script.when(at(kD0, 6 * kHour))
      .reject("h", CommandType::Withdraw, ResultCode::InsufficientFunds, 1000);  // 6
  script.when(at(kD0, 7 * kHour)).open("k", "EUR", 0);                           // 7
  script.when(at(kD0, 8 * kHour)).transfer("h", "k", 20);                        // 8: h 100, k 20
  script.when(at(kD0, 9 * kHour)).transfer("k", "h", 5);                         // 9: k 15, h 105
  script.when(at(kD0, 10 * kHour)).deposit("h", 45);                             // 10: h 150
}

TEST_F(HistoryModelTest, HistoryPagesThatEndOnTheLastEntrySayThereIsNoMore) {
  write_statement_story(script);
  load();
  ASSERT_GE(writer->segment_index(), 3u) << "the history should span segments";

  const Lines newest = {"10 Deposited 45 =150",     "9 Transferred 5 =105 k",
                        "8 Transferred -20 =100 k", "5 Withdrawn -30 =120",
                        "2 Deposited 50 =150",      "1 AccountOpened 100 =100"};
  const Lines oldest(newest.rbegin(), newest.rend());

  // Newest first, three a page: the second page ends on the opening line, so no cursor.
  const Page newest_one = history_page("h", kNewest, 3);
  EXPECT_EQ(newest_one.lines, Lines(newest.begin(), newest.begin() + 3));
  ASSERT_NE(newest_one.next_cursor, 0u);
  const Page newest_two = history_page("h", kNewest, 3, newest_one.next_cursor);
  EXPECT_EQ(newest_two.lines, Lines(newest.begin() + 3, newest.end()));
  EXPECT_EQ(newest_two.next_cursor, 0u);

  // Oldest first, the same: the second page ends on the newest entry.
  const Page oldest_one = history_page("h", kOldest, 3);
  EXPECT_EQ(oldest_one.lines, Lines(oldest.begin(), oldest.begin() + 3));
  ASSERT_NE(oldest_one.next_cursor, 0u);
  const Page oldest_two = history_page("h", kOldest, 3, oldest_one.next_cursor);
  EXPECT_EQ(oldest_two.lines, Lines(oldest.begin() + 3, oldest.end()));
  EXPECT_EQ(oldest_two.next_cursor, 0u);

  // One page exactly as long as the statement, either way.
  const Page newest_all = history_page("h", kNewest, 6);
  EXPECT_EQ(newest_all.lines, newest);
  EXPECT_EQ(newest_all.next_cursor, 0u);
  const Page oldest_all = history_page("h", kOldest, 6);
  EXPECT_EQ(oldest_all.lines, oldest);
  EXPECT_EQ(oldest_all.next_cursor, 0u);

  // One short of it: a last page of one.
  const Page newest_five = history_page("h", kNewest, 5);
  ASSERT_NE(newest_five.next_cursor, 0u);
  const Page newest_last = history_page("h", kNewest, 5, newest_five.next_cursor);
  EXPECT_EQ(newest_last.lines, Lines{"1 AccountOpened 100 =100"});
  EXPECT_EQ(newest_last.next_cursor, 0u);
  const Page oldest_five = history_page("h", kOldest, 5);
  ASSERT_NE(oldest_five.next_cursor, 0u);
  const Page oldest_last = history_page("h", kOldest, 5, oldest_five.next_cursor);
  EXPECT_EQ(oldest_last.lines, Lines{"10 Deposited 45 =150"});
  EXPECT_EQ(oldest_last.next_cursor, 0u);

  // From just after the opening: the last page ends on the deposit of sequence 2, an entry
  // with others before it, and still says there is no more.
  const int64_t after_opening = at(kD0, 1 * kHour) + 1;
  const Page recent = history_page("h", kNewest, 3, 0, after_opening);
  EXPECT_EQ(recent.lines, Lines(newest.begin(), newest.begin() + 3));
  ASSERT_NE(recent.next_cursor, 0u);
  const Page earliest = history_page("h", kNewest, 2, recent.next_cursor, after_opening);
  EXPECT_EQ(earliest.lines, (Lines{"5 Withdrawn -30 =120", "2 Deposited 50 =150"}));
  EXPECT_EQ(earliest.next_cursor, 0u);

  // The partner's side of the transfers, and an opening line without a deposit.
  EXPECT_EQ(history_page("k", kOldest, 1000).lines,
            (Lines{"7 AccountOpened 0 =0", "8 Transferred 20 =20 h", "9 Transferred -5 =15 h"}));

  // Only the deposit that carried a transaction id shows one.
  const Reply with_ids = history("h", kOldest, 6);
  const auto* result = with_ids.as<protocol::HistoryResult>();
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(result->currency()->string_view(), "EUR");
  ASSERT_EQ(result->entries()->size(), 6u);
  ASSERT_NE(result->entries()->Get(1)->transaction_id(), nullptr);
  EXPECT_EQ(result->entries()->Get(1)->transaction_id()->low(), 77u);
  EXPECT_EQ(result->entries()->Get(0)->transaction_id(), nullptr);
  EXPECT_EQ(result->entries()->Get(2)->transaction_id(), nullptr);

  EXPECT_EQ(history("h", kNewest, 1000).code, ResultCode::Ok);
  EXPECT_EQ(history("h", kNewest, 1001).code, ResultCode::LimitExceeded);
  EXPECT_EQ(history("h", kOldest, 0).code, ResultCode::InvalidArgument);
  EXPECT_EQ(history("nobody", kNewest, 10).code, ResultCode::AccountNotFound);
  EXPECT_EQ(history("", kNewest, 10).code, ResultCode::InvalidArgument);
  EXPECT_EQ(history("h", static_cast<protocol::Order>(2), 10).code, ResultCode::InvalidArgument);
}

TEST_F(HistoryModelTest, AMovementsTransactionTextIsShownAsGivenNeverAsAReason) {
  const std::string uuid = "3F2504E0-4F89-11D3-9A0C-0305E82C3301";
  script.when(at(kD0, 1 * kHour)).open("t", "EUR", 100);
  script.when(at(kD0, 2 * kHour)).deposit("t", 5, id_of_text("txn-1"), "txn-1");
  script.when(at(kD0, 3 * kHour)).deposit("t", 6, id_of_text(uuid), uuid);
  script.when(at(kD0, 4 * kHour)).deposit("t", 7, {.low = 9, .high = 0});
  load();
  const Reply statement = history("t", kOldest, 10);
  const auto* lines = statement.as<protocol::HistoryResult>();
  ASSERT_NE(lines, nullptr);
  ASSERT_EQ(lines->entries()->size(), 4u);
  EXPECT_EQ(lines->entries()->Get(1)->transaction_text()->string_view(), "txn-1");
  EXPECT_EQ(lines->entries()->Get(2)->transaction_text()->string_view(), uuid);
  EXPECT_EQ(lines->entries()->Get(3)->transaction_text(), nullptr);  // given as bits only
  EXPECT_EQ(lines->entries()->Get(3)->transaction_id()->low(), 9u);

  const Reply events = trail("t", 0, 10);
  const auto* trail_result = events.as<protocol::EventTrailResult>();
  ASSERT_NE(trail_result, nullptr);
  ASSERT_EQ(trail_result->events()->size(), 4u);
  EXPECT_EQ(trail_result->events()->Get(1)->transaction_text()->string_view(), "txn-1");
  EXPECT_EQ(trail_result->events()->Get(1)->text(), nullptr);  // not a reason
  const Reply found = search(SearchFilter().of("t").only(EventType::Deposited));
  const auto* search_result = found.as<protocol::TransactionSearchResult>();
  ASSERT_NE(search_result, nullptr);
  ASSERT_EQ(search_result->events()->size(), 3u);
  EXPECT_EQ(search_result->events()->Get(1)->transaction_text()->string_view(), uuid);
}

TEST_F(HistoryModelTest, EventTrailKeepsRejectionsAndPagesToTheEnd) {
  write_statement_story(script);
  load();
  // Every event naming h, rejections and status changes included, oldest first.
  const Lines all = {"1 AccountOpened 100 h", "2 Deposited 50 h",  "3 AccountFrozen 0 h",
                     "4 AccountUnfrozen 0 h", "5 Withdrawn 30 h",  "6 CommandRejected 1000 h",
                     "8 Transferred 20 h",    "9 Transferred 5 k", "10 Deposited 45 h"};
  const Page whole = trail_page("h", 0, 9);
  EXPECT_EQ(whole.lines, all);
  EXPECT_EQ(whole.next_cursor, 0u);
  const Page first = trail_page("h", 0, 5);
  EXPECT_EQ(first.lines, Lines(all.begin(), all.begin() + 5));
  ASSERT_NE(first.next_cursor, 0u);
  const Page rest = trail_page("h", first.next_cursor, 4);
  EXPECT_EQ(rest.lines, Lines(all.begin() + 5, all.end()));
  EXPECT_EQ(rest.next_cursor, 0u);
  const Page past = trail_page("h", 50, 10);
  EXPECT_EQ(past.lines, Lines{});
  EXPECT_EQ(past.next_cursor, 0u);
  EXPECT_EQ(trail("h", 0, 1001).code, ResultCode::LimitExceeded);
  EXPECT_EQ(trail("nobody", 0, 10).code, ResultCode::AccountNotFound);
}

TEST_F(HistoryModelTest, ATimeRangeWithoutEntriesGivesAnEmptyPage) {
  script.when(at(kD0, 10 * kHour)).open("r", "EUR", 100);  // 1
  script.when(at(kD0 + 1, 10 * kHour)).deposit("r", 10);   // 2: 110
  script.when(at(kD0 + 3, 10 * kHour)).deposit("r", 20);   // 3: 130
  script.when(at(kD0 + 3, 12 * kHour)).deposit("r", 30);   // 4: 160
  load();

  // Between the second and third entries, after the last one, before the first one (to_ns is
  // exclusive): nothing, and no cursor, either way.
  const std::pair<int64_t, int64_t> empty_ranges[] = {
      {at(kD0 + 1, 12 * kHour), at(kD0 + 3, 9 * kHour)},
      {at(kD0 + 4), at(kD0 + 5)},
      {at(kD0 + 3, 12 * kHour) + 1, 0},
      {0, at(kD0, 10 * kHour)},
  };
  for (const auto& [from_ns, to_ns] : empty_ranges) {
    for (const protocol::Order order : {kNewest, kOldest}) {
      const Page page = history_page("r", order, 10, 0, from_ns, to_ns);
      EXPECT_EQ(page.lines, Lines{}) << from_ns << ".." << to_ns;
      EXPECT_EQ(page.next_cursor, 0u) << from_ns << ".." << to_ns;
    }
  }

  // from_ns is inclusive, to_ns exclusive: entries 2 and 3 of the four.
  const int64_t from_ns = at(kD0 + 1, 10 * kHour);
  const int64_t to_ns = at(kD0 + 3, 12 * kHour);
  const Page newest = history_page("r", kNewest, 2, 0, from_ns, to_ns);
  EXPECT_EQ(newest.lines, (Lines{"3 Deposited 20 =130", "2 Deposited 10 =110"}));
  EXPECT_EQ(newest.next_cursor, 0u);
  const Page oldest = history_page("r", kOldest, 1, 0, from_ns, to_ns);
  EXPECT_EQ(oldest.lines, Lines{"2 Deposited 10 =110"});
  ASSERT_NE(oldest.next_cursor, 0u);
  const Page oldest_rest = history_page("r", kOldest, 1, oldest.next_cursor, from_ns, to_ns);
  EXPECT_EQ(oldest_rest.lines, Lines{"3 Deposited 20 =130"});
  EXPECT_EQ(oldest_rest.next_cursor, 0u);

  EXPECT_EQ(history("r", kNewest, 10, 0, from_ns, from_ns).code, ResultCode::InvalidArgument);
  EXPECT_EQ(history("r", kNewest, 10, 0, to_ns, from_ns).code, ResultCode::InvalidArgument);
  EXPECT_EQ(history("r", kNewest, 10, 0, -1, 0).code, ResultCode::InvalidArgument);
}

// Account d: two entries on D0, none on D0+1, one on D0+2, only a freeze on D0+3, one at the
// first and one at the last nanosecond of D0+4, nothing after.
void write_daily_story(testing::EventScript& script) {
  script.when(at(kD0, 10 * kHour)).open("d", "EUR", 1000);        // 1: 1000
  script.when(at(kD0, 15 * kHour)).deposit("d", 200);             // 2: 1200
  script.when(at(kD0 + 1, 8 * kHour)).open("other", "EUR", 500);  // 3
  script.when(at(kD0 + 2, 9 * kHour)).withdraw("d", 500);         // 4: 700
  script.when(at(kD0 + 3, 12 * kHour)).freeze("d");               // 5
  script.when(at(kD0 + 3, 13 * kHour)).unfreeze("d");             // 6
  script.when(at(kD0 + 4)).deposit("d", 99);                      // 7: 799, at midnight: day D0+4
  script.when(at(kD0 + 5) - 1).deposit("d", 1);                   // 8: 800, still day D0+4
}

using Days = std::vector<std::pair<int32_t, int64_t>>;

TEST_F(HistoryModelTest, DailyBalancesCarryTheBalanceOverDaysWithoutActivity) {
  write_daily_story(script);
  load();

  const Days week = {{kD0, 1200},    {kD0 + 1, 1200}, {kD0 + 2, 700}, {kD0 + 3, 700},
                     {kD0 + 4, 800}, {kD0 + 5, 800},  {kD0 + 6, 800}};
  EXPECT_EQ(days_of("d", kD0 - 2, kD0 + 6), week);  // the days before the opening left out
  EXPECT_EQ(days_of("d", kD0 + 1, kD0 + 1), (Days{{kD0 + 1, 1200}}));
  EXPECT_EQ(days_of("d", kD0 + 3, kD0 + 3), (Days{{kD0 + 3, 700}}));
  EXPECT_EQ(days_of("d", kD0 + 5, kD0 + 6), (Days{{kD0 + 5, 800}, {kD0 + 6, 800}}));
  EXPECT_EQ(days_of("d", kD0 - 10, kD0 - 1), Days{});
  EXPECT_EQ(days_of("other", kD0, kD0 + 2), (Days{{kD0 + 1, 500}, {kD0 + 2, 500}}));

  // At most 3660 days a request: to_day - from_day 3659 is the longest range.
  EXPECT_EQ(days_of("d", kD0 + 6 - 3659, kD0 + 6), week);
  EXPECT_EQ(daily("d", kD0 + 6 - 3660, kD0 + 6).code, ResultCode::LimitExceeded);
  EXPECT_EQ(daily("d", 0, INT32_MAX).code, ResultCode::LimitExceeded);
  EXPECT_EQ(daily("d", kD0 + 1, kD0).code, ResultCode::InvalidArgument);
  EXPECT_EQ(daily("nobody", kD0, kD0).code, ResultCode::AccountNotFound);
  EXPECT_EQ(daily("", kD0, kD0).code, ResultCode::InvalidArgument);
}

TEST_F(HistoryModelTest, DailyBalancesLeaveOutDaysStillToCome) {
  write_daily_story(script);
  load();
  const auto now = std::chrono::system_clock::now();
  const auto today =
      static_cast<int32_t>(std::chrono::floor<std::chrono::days>(now).time_since_epoch().count());
  ASSERT_GT(today, kD0 + 6);
  const Days days = days_of("d", today - 2, today + 3);
  // today - 2 up to today: three days (four if midnight passed since `today` was read).
  ASSERT_GE(days.size(), 3u);
  ASSERT_LE(days.size(), 4u);
  for (size_t index = 0; index < days.size(); ++index) {
    EXPECT_EQ(days[index], std::make_pair(today - 2 + static_cast<int32_t>(index), int64_t{800}));
  }
}

// Days are counted from 1970-01-01 and no event is older, so a day before it is refused (a day
// four centuries back once wrapped round int64 nanoseconds to 2143 and got today's balance);
// days far ahead are left out like every day still to come, without overflowing either.
TEST_F(HistoryModelTest, DailyBalancesBeyondTheRangeOfTimesAreRefusedOrLeftOut) {
  write_daily_story(script);
  load();
  EXPECT_EQ(daily("d", -150'000, -149'990).code, ResultCode::InvalidArgument);
  EXPECT_EQ(daily("d", -1, kD0 + 1).code, ResultCode::InvalidArgument);
  EXPECT_EQ(days_of("d", 0, 10), Days{});
  EXPECT_EQ(days_of("d", INT32_MAX - 10, INT32_MAX), Days{});
  EXPECT_EQ(days_of("d", 150'000, 150'010), Days{});
}

// b opens between another account's events; a transfer in sets its balance at the end.
void write_balance_story(testing::EventScript& script) {
  script.when(at(kD0, 1 * kHour)).open("first", "EUR", 5);    // 1
  script.when(at(kD0, 2 * kHour)).open("b", "EUR", 100);      // 2: b 100 v1
  script.when(at(kD0, 3 * kHour)).deposit("b", 50);           // 3: b 150 v2
  script.when(at(kD0, 4 * kHour)).deposit("first", 1);        // 4: first 6
  script.when(at(kD0, 5 * kHour)).freeze("b");                // 5: b v3
  script.when(at(kD0, 5 * kHour)).unfreeze("b");              // 6: b v4
  script.when(at(kD0, 6 * kHour)).transfer("first", "b", 6);  // 7: b 156 v5
  script.when(at(kD0, 7 * kHour))
      .reject("b", CommandType::Withdraw, ResultCode::InsufficientFunds, 1000);  // 8
}

TEST_F(HistoryModelTest, BalanceAsOfATimeOrSequence) {
  write_balance_story(script);
  load();

  // By time: nothing before the opening, then the balance after the last entry at or before.
  EXPECT_EQ(as_of("b", at(kD0, 1 * kHour), 0), "no");
  EXPECT_EQ(as_of("b", at(kD0, 2 * kHour) - 1, 0), "no");
  EXPECT_EQ(as_of("b", at(kD0, 2 * kHour), 0), "100 v1 @2");
  EXPECT_EQ(as_of("b", at(kD0, 3 * kHour) - 1, 0), "100 v1 @2");
  EXPECT_EQ(as_of("b", at(kD0, 3 * kHour), 0), "150 v2 @3");
  EXPECT_EQ(as_of("b", at(kD0, 5 * kHour), 0), "150 v2 @3");  // a freeze moves no money
  EXPECT_EQ(as_of("b", at(kD0, 6 * kHour), 0), "156 v5 @7");  // the transfer's destination side
  EXPECT_EQ(as_of("b", at(kD0 + 100), 0), "156 v5 @7");
  EXPECT_EQ(as_of("b", 1, 0), "no");
  EXPECT_EQ(as_of("b", INT64_MAX - 1, 0), "156 v5 @7");

  // By sequence: before the opening (another account's event), at it, between entries.
  EXPECT_EQ(as_of("b", 0, 1), "no");
  EXPECT_EQ(as_of("b", 0, 2), "100 v1 @2");
  EXPECT_EQ(as_of("b", 0, 3), "150 v2 @3");
  EXPECT_EQ(as_of("b", 0, 4), "150 v2 @3");
  EXPECT_EQ(as_of("b", 0, 6), "150 v2 @3");
  EXPECT_EQ(as_of("b", 0, 7), "156 v5 @7");
  EXPECT_EQ(as_of("b", 0, 8), "156 v5 @7");  // the last applied
  EXPECT_EQ(as_of("first", 0, 3), "5 v1 @1");
  EXPECT_EQ(as_of("first", 0, 8), "0 v3 @7");  // the transfer's source side

  const Reply timed = balance_as_of("b", at(kD0, 4 * kHour), 0);
  ASSERT_NE(timed.as<protocol::BalanceAsOfResult>(), nullptr);
  EXPECT_EQ(timed.as<protocol::BalanceAsOfResult>()->timestamp_ns(), at(kD0, 3 * kHour));
  EXPECT_EQ(timed.as<protocol::BalanceAsOfResult>()->account_id()->string_view(), "b");

  EXPECT_EQ(balance_as_of("b", 0, 9).code, ResultCode::InvalidArgument);  // not applied yet
  EXPECT_EQ(balance_as_of("b", 0, 0).code, ResultCode::InvalidArgument);
  EXPECT_EQ(balance_as_of("b", at(kD0), 2).code, ResultCode::InvalidArgument);
  const Reply negative = balance_as_of("b", -1, 0);
  EXPECT_EQ(negative.code, ResultCode::InvalidArgument);
  EXPECT_EQ(negative.message, "at_ns is negative");
  EXPECT_EQ(balance_as_of("nobody", 0, 1).code, ResultCode::AccountNotFound);
  EXPECT_EQ(balance_as_of("", 0, 1).code, ResultCode::InvalidArgument);
}

// The latest time there is: every entry is at or before it (counting them once computed
// at_ns + 1, which overflowed to the earliest time and answered "not open yet").
TEST_F(HistoryModelTest, BalanceAsOfTheLatestPossibleTimeIsTheBalanceNow) {
  write_balance_story(script);
  load();
  EXPECT_EQ(as_of("b", INT64_MAX, 0), "156 v5 @7");
}

// x and y move money; a rejected withdrawal of x carries an amount every filter would take.
void write_search_story(testing::EventScript& script) {
  script.when(at(kD0, 1 * kSecond)).open("x", "EUR", 1000);   // 1
  script.when(at(kD0, 2 * kSecond)).open("y", "EUR", 0);      // 2
  script.when(at(kD0, 3 * kSecond)).deposit("x", 50);         // 3
  script.when(at(kD0, 4 * kSecond)).deposit("x", 500);        // 4
  script.when(at(kD0, 5 * kSecond)).withdraw("x", 200);       // 5
  script.when(at(kD0, 6 * kSecond)).transfer("x", "y", 300);  // 6
  script.when(at(kD0, 7 * kSecond)).transfer("y", "x", 120);  // 7
  script.when(at(kD0, 8 * kSecond)).deposit("y", 700);        // 8
  script.when(at(kD0, 9 * kSecond))
      .reject("x", CommandType::Withdraw, ResultCode::InsufficientFunds, 400);  // 9
  script.when(at(kD0, 10 * kSecond)).withdraw("y", 100);                        // 10
}

TEST_F(HistoryModelTest, TransactionSearchOfOneAccountFiltersByAmountAndType) {
  write_search_story(script);
  load();

  // Amounts from 100 to 500, both bounds included: x's statement has six entries.
  uint64_t scanned = 0;
  const Page in_range = search_page(SearchFilter().of("x").amounts(100, 500), &scanned);
  EXPECT_EQ(in_range.lines, (Lines{"4 Deposited 500 x", "5 Withdrawn 200 x", "6 Transferred 300 x",
                                   "7 Transferred 120 y"}));
  EXPECT_EQ(in_range.next_cursor, 0u);
  EXPECT_EQ(scanned, 6u);

  EXPECT_EQ(
      search_page(SearchFilter().of("x").only(EventType::Transferred).amounts(100, 500)).lines,
      (Lines{"6 Transferred 300 x", "7 Transferred 120 y"}));
  EXPECT_EQ(search_page(SearchFilter().of("x").only(EventType::Deposited)).lines,
            (Lines{"3 Deposited 50 x", "4 Deposited 500 x"}));
  EXPECT_EQ(search_page(SearchFilter().of("x").only(EventType::AccountOpened)).lines,
            Lines{"1 AccountOpened 1000 x"});
  // y opened with nothing: its opening moved no money.
  EXPECT_EQ(search_page(SearchFilter().of("y").only(EventType::AccountOpened)).lines, Lines{});
  EXPECT_EQ(search_page(SearchFilter().of("x").amounts(501, 0)).lines,
            Lines{"1 AccountOpened 1000 x"});
  EXPECT_EQ(search_page(SearchFilter().of("x").amounts(200, 200)).lines,
            Lines{"5 Withdrawn 200 x"});
  EXPECT_EQ(search_page(SearchFilter().of("x").amounts(1001, 0)).lines, Lines{});
  EXPECT_EQ(search_page(SearchFilter().of("y").only(EventType::Withdrawn)).lines,
            Lines{"10 Withdrawn 100 y"});
  // A time window: from_ns inclusive, to_ns exclusive.
  EXPECT_EQ(
      search_page(SearchFilter().of("x").between(at(kD0, 5 * kSecond), at(kD0, 7 * kSecond))).lines,
      (Lines{"5 Withdrawn 200 x", "6 Transferred 300 x"}));

  // Two a page: the second page ends on x's last statement entry, so no cursor.
  const Page first = search_page(SearchFilter().of("x").amounts(100, 500).page(2));
  EXPECT_EQ(first.lines, (Lines{"4 Deposited 500 x", "5 Withdrawn 200 x"}));
  ASSERT_NE(first.next_cursor, 0u);
  const Page second =
      search_page(SearchFilter().of("x").amounts(100, 500).page(2, first.next_cursor));
  EXPECT_EQ(second.lines, (Lines{"6 Transferred 300 x", "7 Transferred 120 y"}));
  EXPECT_EQ(second.next_cursor, 0u);
}

TEST_F(HistoryModelTest, TransactionSearchOfTheWholeJournalSkipsRejections) {
  write_search_story(script);
  load();
  const Lines in_range = {"4 Deposited 500 x", "5 Withdrawn 200 x", "6 Transferred 300 x",
                          "7 Transferred 120 y", "10 Withdrawn 100 y"};
  uint64_t scanned = 0;
  const Page all = search_page(SearchFilter().amounts(100, 500), &scanned);
  EXPECT_EQ(all.lines, in_range);
  EXPECT_EQ(all.next_cursor, 0u);
  EXPECT_EQ(scanned, 10u);  // every event of the journal
  EXPECT_EQ(search_page(SearchFilter().only(EventType::Withdrawn)).lines,
            (Lines{"5 Withdrawn 200 x", "10 Withdrawn 100 y"}));
  EXPECT_EQ(search_page(SearchFilter().only(EventType::Withdrawn).amounts(150, 0)).lines,
            Lines{"5 Withdrawn 200 x"});
  EXPECT_EQ(search_page(SearchFilter().amounts(100, 500).between(at(kD0, 6 * kSecond), 0)).lines,
            (Lines{"6 Transferred 300 x", "7 Transferred 120 y", "10 Withdrawn 100 y"}));

  // Two a page: the cursor continues after the last event looked at.
  const Page one = search_page(SearchFilter().amounts(100, 500).page(2));
  EXPECT_EQ(one.lines, Lines(in_range.begin(), in_range.begin() + 2));
  ASSERT_NE(one.next_cursor, 0u);
  const Page two = search_page(SearchFilter().amounts(100, 500).page(2, one.next_cursor));
  EXPECT_EQ(two.lines, Lines(in_range.begin() + 2, in_range.begin() + 4));
  ASSERT_NE(two.next_cursor, 0u);
  const Page three = search_page(SearchFilter().amounts(100, 500).page(2, two.next_cursor));
  EXPECT_EQ(three.lines, Lines{"10 Withdrawn 100 y"});
  EXPECT_EQ(three.next_cursor, 0u);
}

// Longer than a few checkpoints (one every 1024 events): the search over every account must
// start at the journal's first event without a cursor or a start time, and near the later of
// the two with both. Outcome s (after x's opening) deposits s at second s.
TEST_F(HistoryModelTest, TransactionSearchOfALongJournalStartsWhereAsked) {
  constexpr int64_t kEvents = 3000;
  start_journal(64 * 1024);  // a few segments: the tiny ones would be hundreds of files
  script.when(at(kD0, 1 * kSecond)).open("x", "EUR", 1);
  for (int64_t sequence = 2; sequence <= kEvents; ++sequence) {
    script.when(at(kD0, sequence * kSecond)).deposit("x", sequence);
  }
  load();

  uint64_t scanned = 0;
  const Page first = search_page(SearchFilter().page(3), &scanned);
  EXPECT_EQ(first.lines, (Lines{"1 AccountOpened 1 x", "2 Deposited 2 x", "3 Deposited 3 x"}));
  EXPECT_EQ(first.next_cursor, 4u);
  EXPECT_EQ(scanned, 3u);

  // Events 50 to 99: before the first checkpoint after the journal's start.
  const Page early =
      search_page(SearchFilter().amounts(50, 0).between(0, at(kD0, 100 * kSecond)).page(1000));
  ASSERT_EQ(early.lines.size(), 50u);
  EXPECT_EQ(early.lines.front(), "50 Deposited 50 x");
  EXPECT_EQ(early.lines.back(), "99 Deposited 99 x");
  EXPECT_EQ(early.next_cursor, 0u);

  // A cursor from the start with a start time far later: the start time wins.
  const Page late =
      search_page(SearchFilter().between(at(kD0, 2500 * kSecond), 0).page(2, 1), &scanned);
  EXPECT_EQ(late.lines, (Lines{"2500 Deposited 2500 x", "2501 Deposited 2501 x"}));
  EXPECT_EQ(late.next_cursor, 2502u);
  EXPECT_EQ(scanned, 2u);

  // From event 1500 to the end: the last two match, after 1501 events looked at.
  const Page tail =
      search_page(SearchFilter().amounts(2999, 0).between(at(kD0, 1500 * kSecond), 0), &scanned);
  EXPECT_EQ(tail.lines, (Lines{"2999 Deposited 2999 x", "3000 Deposited 3000 x"}));
  EXPECT_EQ(tail.next_cursor, 0u);
  EXPECT_EQ(scanned, 1501u);
}

TEST_F(HistoryModelTest, TransactionSearchRefusesBadFilters) {
  write_search_story(script);
  load();
  EXPECT_EQ(search(SearchFilter().of("x").page(1000)).code, ResultCode::Ok);
  EXPECT_EQ(search(SearchFilter().of("x").page(1001)).code, ResultCode::LimitExceeded);
  EXPECT_EQ(search(SearchFilter().page(1001)).code, ResultCode::LimitExceeded);
  EXPECT_EQ(search(SearchFilter().of("x").page(0)).code, ResultCode::InvalidArgument);
  EXPECT_EQ(search(SearchFilter().of("x").amounts(500, 100)).code, ResultCode::InvalidArgument);
  EXPECT_EQ(search(SearchFilter().of("x").amounts(-1, 0)).code, ResultCode::InvalidArgument);
  EXPECT_EQ(search(SearchFilter().of("x").amounts(0, -1)).code, ResultCode::InvalidArgument);
  EXPECT_EQ(search(SearchFilter().of("x").only(EventType::AccountFrozen)).code,
            ResultCode::InvalidArgument);
  EXPECT_EQ(search(SearchFilter().only(EventType::CommandRejected)).code,
            ResultCode::InvalidArgument);
  EXPECT_EQ(search(SearchFilter().between(at(kD0, 5 * kSecond), at(kD0, 5 * kSecond))).code,
            ResultCode::InvalidArgument);
  EXPECT_EQ(search(SearchFilter().of("nobody")).code, ResultCode::AccountNotFound);
}

}  // namespace
}  // namespace tally::read
