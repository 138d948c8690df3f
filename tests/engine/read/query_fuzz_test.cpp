// Every query field is the client's to choose. Random queries, with boundary values (0, 1,
// INT64_MIN/MAX, UINT64_MAX, days far before and after 1970) mixed with plausible ones, against
// read models of a random ledger: every answer is Ok or one of the documented errors, no page is
// longer than its limit, and following the cursors pages through exactly what one large page
// holds, with nothing skipped or repeated. Under the sanitizer build (tools/test.sh) an overflow
// or an out-of-bounds read here aborts the test.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "engine/journal/journal_tail.h"
#include "engine/journal/journal_writer.h"
#include "engine/journal/posix_storage.h"
#include "engine/read/account_model.h"
#include "engine/read/history_model.h"
#include "support/event_script.h"
#include "support/model_query.h"

namespace tally::read {
namespace {

using testing::ModelReply;

constexpr int64_t kHour = 3'600'000'000'000;
constexpr int64_t kStart = int64_t{19'700} * 24 * kHour;  // 2023-12-09
constexpr int kAccounts = 8;
constexpr int kEvents = 1500;  // past the history model's first search checkpoint (1024)
constexpr int kQueriesPerType = 400;

std::string id_of(int index) {
  return "fuzz-account-" + std::to_string(index);
}

// A ledger's worth of events over a few accounts and days: openings, money moved both ways,
// freezes, closures and rejections, in the order a ledger could have written them.
testing::EventScript random_script(std::mt19937_64& random) {
  testing::EventScript script;
  std::vector<int> state(kAccounts, 0);  // 0 active, 1 frozen, 2 closed
  script.now_ns = kStart;
  for (int index = 0; index < kAccounts; ++index) {
    script.open(id_of(index), index % 3 == 0 ? "USD" : "EUR", 1000 * index,
                index % 2 == 0 ? "owner-even" : "owner-odd");
  }
  std::uniform_int_distribution<int> pick(0, kAccounts - 1);
  std::uniform_int_distribution<int64_t> amount(1, 5000);
  std::uniform_int_distribution<int64_t> pause(0, 3 * kHour);
  while (script.events.size() < kEvents) {
    script.now_ns += pause(random);
    const int account = pick(random);
    const std::string id = id_of(account);
    const int other = pick(random);
    switch (random() % 10) {
      case 0:
        if (state[account] == 0) {
          script.freeze(id);
          state[account] = 1;
        } else if (state[account] == 1) {
          script.unfreeze(id);
          state[account] = 0;
        }
        break;
      case 1:
        if (state[account] == 0 && random() % 20 == 0) {
          script.close(id);
          state[account] = 2;
        }
        break;
      case 2:
        script.reject(id, CommandType::Withdraw, ResultCode::InsufficientFunds, amount(random));
        break;
      case 3:
      case 4:
        if (state[account] == 0) {
          script.withdraw(id, amount(random));
        }
        break;
      case 5:
      case 6:
        if (state[account] == 0 && state[other] == 0 && other != account) {
          // As the ledger would: between two accounts of one currency, else a rejection (the
          // read models refuse a transfer the ledger could not have made).
          if ((account % 3 == 0) == (other % 3 == 0)) {
            script.transfer(id, id_of(other), amount(random));
          } else {
            script.reject(id, CommandType::Transfer, ResultCode::CurrencyMismatch, amount(random));
          }
        }
        break;
      default:
        if (state[account] == 0) {
          script.deposit(id, amount(random));
        }
    }
  }
  return script;
}

// The sequences on every page, from the first on, following next_cursor until it is 0.
// `ask_page(cursor)` asks for one page; `items_of(result)` is its entries or events.
template <typename Result, typename AskPage, typename ItemsOf>
void follow_pages(AskPage ask_page, ItemsOf items_of, std::vector<uint64_t>& sequences) {
  uint64_t cursor = 0;
  for (int page = 0; page < 2000; ++page) {
    const ModelReply reply = ask_page(cursor);
    ASSERT_EQ(reply.code, ResultCode::Ok) << reply.message;
    const Result* result = reply.as<Result>();
    for (const auto* item : *items_of(result)) {
      sequences.push_back(item->sequence());
    }
    cursor = result->next_cursor();
    if (cursor == 0) {
      return;
    }
  }
  FAIL() << "next_cursor still not 0 after 2000 pages";
}

class QueryFuzzTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tally-query-fuzz-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    data = pattern;
    const std::string journal_directory = data + "/journal";
    ASSERT_EQ(::mkdir(journal_directory.c_str(), 0755), 0);
    journal::JournalWriter writer(storage,
                                  {.directory = journal_directory, .segment_bytes = 32 * 1024});
    ASSERT_TRUE(writer.open({}, 0).is_ok());
    const testing::EventScript script = random_script(random);
    events = script.events;
    for (const Outcome& event : script.events) {
      ASSERT_TRUE(writer.append(event).is_ok());
    }
    ASSERT_TRUE(writer.sync().is_ok());
    history = std::make_unique<HistoryModel>(storage, journal_directory);
    journal::JournalTail tail(storage, journal_directory, journal::AppendPosition{});
    for (size_t applied = 0; applied < events.size(); ++applied) {
      const Result<const Outcome*> next = tail.next(writer.durable_sequence());
      ASSERT_TRUE(next.is_ok()) << next.status().message();
      ASSERT_NE(*next, nullptr);
      const Outcome event = **next;
      const Status applied_history = history->apply(event, tail.last_position());
      ASSERT_TRUE(applied_history.is_ok()) << applied_history.message();
      const Status applied_accounts = accounts.apply(event, tail.last_position());
      ASSERT_TRUE(applied_accounts.is_ok()) << applied_accounts.message();
    }
  }
  void TearDown() override {
    history.reset();
    std::filesystem::remove_all(data);
  }

  // A value for a signed field: a boundary, something near the ledger's times and amounts, or
  // anything at all.
  int64_t any_long() {
    static constexpr int64_t kEdges[] = {0,
                                         1,
                                         -1,
                                         std::numeric_limits<int64_t>::min(),
                                         std::numeric_limits<int64_t>::max(),
                                         std::numeric_limits<int64_t>::max() - 1,
                                         kStart,
                                         kStart + 100 * kHour};
    switch (random() % 3) {
      case 0:
        return kEdges[random() % std::size(kEdges)];
      case 1:
        return kStart + static_cast<int64_t>(random() % (200 * kHour));
      default:
        return static_cast<int64_t>(random());
    }
  }
  uint64_t any_cursor() {
    static constexpr uint64_t kEdges[] = {
        0, 1, 2, 1023, 1024, 1025, kEvents, std::numeric_limits<uint64_t>::max()};
    return random() % 2 == 0 ? kEdges[random() % std::size(kEdges)] : random() % (2 * kEvents);
  }
  uint32_t any_limit(uint32_t maximum) {
    static constexpr uint32_t kEdges[] = {0, 1, 2, 7, std::numeric_limits<uint32_t>::max()};
    switch (random() % 3) {
      case 0:
        return kEdges[random() % std::size(kEdges)];
      case 1:
        return maximum + static_cast<uint32_t>(random() % 2);
      default:
        return 1 + static_cast<uint32_t>(random() % maximum);
    }
  }
  int32_t any_day() {
    static constexpr int32_t kEdges[] = {0,
                                         -1,
                                         19'700,
                                         19'730,
                                         106'751,
                                         106'752,
                                         std::numeric_limits<int32_t>::min(),
                                         std::numeric_limits<int32_t>::max()};
    switch (random() % 3) {
      case 0:
        return kEdges[random() % std::size(kEdges)];
      case 1:
        return 19'690 + static_cast<int32_t>(random() % 60);
      default:
        return static_cast<int32_t>(random());
    }
  }
  std::string any_account() {
    switch (random() % 6) {
      case 0:
        return "";
      case 1:
        return "nobody";
      case 2:
        return std::string(300, 'x');
      default:
        return id_of(static_cast<int>(random() % kAccounts));
    }
  }
  std::string any_currency() {
    static const char* const kCurrencies[] = {"", "EUR", "USD", "JPY", "eur", "EURO", "E"};
    return kCurrencies[random() % std::size(kCurrencies)];
  }

  template <typename MakeBody>
  ModelReply ask(ReadModel& model, protocol::RequestBody type, MakeBody make_body) {
    ModelReply reply = testing::ask_model(model, type, make_body);
    EXPECT_TRUE(reply.code == ResultCode::Ok || reply.code == ResultCode::InvalidArgument ||
                reply.code == ResultCode::AccountNotFound ||
                reply.code == ResultCode::LimitExceeded)
        << protocol::EnumNameRequestBody(type) << ": " << result_code_name(reply.code) << ": "
        << reply.message;
    return reply;
  }

  ModelReply history_page(const std::string& id, protocol::Order order, int64_t from_ns,
                          int64_t to_ns, uint32_t limit, uint64_t cursor) {
    return ask(*history, protocol::RequestBody::HistoryQuery, [&](auto& builder) {
      return protocol::CreateHistoryQuery(builder, builder.CreateString(id), order, from_ns, to_ns,
                                          limit, cursor);
    });
  }
  ModelReply search_page(const std::string& id, EventType type, int64_t min_amount,
                         int64_t max_amount, int64_t from_ns, int64_t to_ns, uint32_t limit,
                         uint64_t cursor) {
    return ask(*history, protocol::RequestBody::TransactionSearchQuery, [&](auto& builder) {
      return protocol::CreateTransactionSearchQuery(
          builder, id.empty() ? 0 : builder.CreateString(id), type, min_amount, max_amount, from_ns,
          to_ns, limit, cursor);
    });
  }

  // What the history model should answer, worked out from the events themselves: the
  // sequences of the events that moved money (of `id`, or of anyone if it is empty) within
  // [from_ns, to_ns), oldest first. A statement also has its opening line when nothing was
  // deposited; a search leaves such an opening out.
  enum class Openings { kWithDeposit, kAll };
  std::vector<uint64_t> expected_money_moves(std::string_view id, int64_t from_ns, int64_t to_ns,
                                             Openings openings) const {
    std::vector<uint64_t> sequences;
    for (const Outcome& event : events) {
      const bool moves_money = event.type == EventType::Deposited ||
                               event.type == EventType::Withdrawn ||
                               event.type == EventType::Transferred ||
                               (event.type == EventType::AccountOpened &&
                                (event.amount > 0 || openings == Openings::kAll));
      const bool concerns =
          id.empty() || event.account_id.view() == id ||
          (event.type == EventType::Transferred && event.counterparty_id.view() == id);
      if (moves_money && concerns && event.timestamp_ns >= from_ns &&
          (to_ns == 0 || event.timestamp_ns < to_ns)) {
        sequences.push_back(event.sequence);
      }
    }
    return sequences;
  }

  std::mt19937_64 random{20261130};
  std::vector<Outcome> events;
  journal::PosixStorage storage;
  std::string data;
  AccountModel accounts;
  std::unique_ptr<HistoryModel> history;
};

TEST_F(QueryFuzzTest, AccountQueriesAnswerOrRefuseWithADocumentedError) {
  for (int round = 0; round < kQueriesPerType; ++round) {
    const std::string id = any_account();
    ask(accounts, protocol::RequestBody::AccountQuery, [&](auto& builder) {
      return protocol::CreateAccountQuery(builder, builder.CreateString(id));
    });
    ask(accounts, protocol::RequestBody::BalanceQuery, [&](auto& builder) {
      return protocol::CreateBalanceQuery(builder, builder.CreateString(id));
    });
    ask(accounts, protocol::RequestBody::AccountSummaryQuery, [&](auto& builder) {
      return protocol::CreateAccountSummaryQuery(builder, builder.CreateString(id));
    });
    const std::string currency = any_currency();
    ask(accounts, protocol::RequestBody::ReserveQuery, [&](auto& builder) {
      return protocol::CreateReserveQuery(builder, builder.CreateString(currency));
    });
    const uint32_t top_limit = any_limit(100);
    const ModelReply top = ask(accounts, protocol::RequestBody::TopAccountsQuery, [&](auto& b) {
      return protocol::CreateTopAccountsQuery(b, b.CreateString(currency), top_limit);
    });
    if (top.code == ResultCode::Ok) {
      EXPECT_LE(top.as<protocol::TopAccountsResult>()->accounts()->size(), top_limit);
    }
    const std::string owner = random() % 2 == 0 ? "" : (random() % 2 ? "owner-odd" : "none");
    const uint32_t limit = any_limit(1000);
    const uint64_t cursor = any_cursor();
    const ModelReply list = ask(accounts, protocol::RequestBody::AccountListQuery, [&](auto& b) {
      return protocol::CreateAccountListQuery(b, b.CreateString(owner), cursor, limit);
    });
    if (list.code == ResultCode::Ok) {
      EXPECT_LE(list.as<protocol::AccountListResult>()->accounts()->size(), limit);
    }
  }
}

TEST_F(QueryFuzzTest, HistoryQueriesAnswerOrRefuseWithADocumentedError) {
  for (int round = 0; round < kQueriesPerType; ++round) {
    const std::string id = any_account();
    const auto order = static_cast<protocol::Order>(random() % 3);
    const uint32_t limit = any_limit(1000);
    const ModelReply page = history_page(id, order, any_long(), any_long(), limit, any_cursor());
    if (page.code == ResultCode::Ok) {
      EXPECT_LE(page.as<protocol::HistoryResult>()->entries()->size(), limit);
    }
    const uint32_t trail_limit = any_limit(1000);
    const uint64_t trail_cursor = any_cursor();
    const ModelReply trail = ask(*history, protocol::RequestBody::EventTrailQuery, [&](auto& b) {
      return protocol::CreateEventTrailQuery(b, b.CreateString(id), trail_cursor, trail_limit);
    });
    if (trail.code == ResultCode::Ok) {
      EXPECT_LE(trail.as<protocol::EventTrailResult>()->events()->size(), trail_limit);
    }
    const int32_t from_day = any_day();
    const int32_t to_day =  // any day, or a few after from_day (kept within int32)
        random() % 2 == 0 ? any_day()
                          : static_cast<int32_t>(std::min<int64_t>(
                                int64_t{from_day} + static_cast<int64_t>(random() % 40),
                                std::numeric_limits<int32_t>::max()));
    ask(*history, protocol::RequestBody::DailyBalancesQuery, [&](auto& b) {
      return protocol::CreateDailyBalancesQuery(b, b.CreateString(id), from_day, to_day);
    });
    const int64_t at_ns = random() % 3 == 0 ? 0 : any_long();
    const uint64_t at_sequence = random() % 3 == 0 ? 0 : any_cursor();
    ask(*history, protocol::RequestBody::BalanceAsOfQuery, [&](auto& b) {
      return protocol::CreateBalanceAsOfQuery(b, b.CreateString(id), at_ns, at_sequence);
    });
    const auto type = static_cast<EventType>(random() % 16);
    const uint32_t search_limit = any_limit(1000);
    const ModelReply search = search_page(random() % 2 == 0 ? "" : id, type, any_long(), any_long(),
                                          any_long(), any_long(), search_limit, any_cursor());
    if (search.code == ResultCode::Ok) {
      EXPECT_LE(search.as<protocol::TransactionSearchResult>()->events()->size(), search_limit);
    }
  }
}

// Pages of a random size, followed by their cursors, hold exactly the statement entries the
// events imply, in order, with nothing skipped or repeated; so does one page of 1000 (every
// history here is shorter).
TEST_F(QueryFuzzTest, FollowingCursorsSkipsNothingAndRepeatsNothing) {
  for (int round = 0; round < 60; ++round) {
    const std::string id = id_of(static_cast<int>(random() % kAccounts));
    const auto order = static_cast<protocol::Order>(random() % 2);
    const int64_t from_ns =
        random() % 2 == 0 ? 0 : kStart + static_cast<int64_t>(random() % (100 * kHour));
    const int64_t to_ns =
        random() % 2 == 0 ? 0 : from_ns + static_cast<int64_t>(random() % (300 * kHour)) + 1;
    SCOPED_TRACE(id + " order " + std::to_string(static_cast<int>(order)) + " from " +
                 std::to_string(from_ns) + " to " + std::to_string(to_ns));

    std::vector<uint64_t> expected = expected_money_moves(id, from_ns, to_ns, Openings::kAll);
    if (order == protocol::Order::NewestFirst) {
      std::reverse(expected.begin(), expected.end());
    }
    std::vector<uint64_t> whole;
    const ModelReply all = history_page(id, order, from_ns, to_ns, 1000, 0);
    ASSERT_EQ(all.code, ResultCode::Ok) << all.message;
    const auto* all_result = all.as<protocol::HistoryResult>();
    ASSERT_EQ(all_result->next_cursor(), 0u) << "every history here fits one page of 1000";
    for (const auto* entry : *all_result->entries()) {
      whole.push_back(entry->sequence());
    }

    std::vector<uint64_t> paged;
    const uint32_t limit = 1 + static_cast<uint32_t>(random() % 9);
    follow_pages<protocol::HistoryResult>(
        [&](uint64_t cursor) { return history_page(id, order, from_ns, to_ns, limit, cursor); },
        [](const protocol::HistoryResult* result) { return result->entries(); }, paged);
    EXPECT_EQ(whole, expected);
    EXPECT_EQ(paged, expected);

    // The same for a search over every account (the cursor is a sequence there).
    const ModelReply all_found = search_page("", EventType::Unknown, 0, 0, from_ns, to_ns, 1000, 0);
    ASSERT_EQ(all_found.code, ResultCode::Ok) << all_found.message;
    std::vector<uint64_t> whole_found;
    const auto* found_result = all_found.as<protocol::TransactionSearchResult>();
    for (const auto* event : *found_result->events()) {
      whole_found.push_back(event->sequence());
    }
    const std::vector<uint64_t> expected_found =
        expected_money_moves("", from_ns, to_ns, Openings::kWithDeposit);
    if (found_result->next_cursor() != 0) {
      // More than 1000 matched: the page is the first 1000 of them.
      ASSERT_EQ(whole_found.size(), 1000u);
      ASSERT_GE(expected_found.size(), 1000u);
      EXPECT_TRUE(std::equal(whole_found.begin(), whole_found.end(), expected_found.begin()));
    } else {
      EXPECT_EQ(whole_found, expected_found);
    }
    // Pages of 25 to 124: each page reads up to a checkpoint's worth of events before its start.
    const uint32_t search_limit = 25 + static_cast<uint32_t>(random() % 100);
    std::vector<uint64_t> paged_found;
    follow_pages<protocol::TransactionSearchResult>(
        [&](uint64_t cursor) {
          return search_page("", EventType::Unknown, 0, 0, from_ns, to_ns, search_limit, cursor);
        },
        [](const protocol::TransactionSearchResult* result) { return result->events(); },
        paged_found);
    EXPECT_EQ(paged_found, expected_found);
  }
}

}  // namespace
}  // namespace tally::read
