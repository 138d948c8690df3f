// AccountModel on its own: events applied by hand, queries built as a client would build them,
// answers read back from a finished Response. The edge cases the end-to-end tests do not reach:
// reserves past the int64 range, status counts through freeze, unfreeze and close, ties in top
// accounts, every end of a list page, unknown accounts, and summaries with rejections.
#include "engine/read/account_model.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "support/event_script.h"
#include "support/model_query.h"

namespace tally::read {
namespace {

__extension__ typedef __int128 Wide;  // expected sums, worked out apart from the model's

constexpr int64_t kT0 = 1'700'000'000'000'000'000;  // 2023-11-14T22:13:20Z
constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kMax = INT64_MAX;

// Events as the ledger would write them, each applied to the model as it is made: savings
// accounts, the clock at kT0 until a test moves now_ns.
testing::EventScript script_for(AccountModel& model) {
  testing::EventScript script([&model](const Outcome& event) {
    const Status applied = model.apply(event, {});
    EXPECT_TRUE(applied.is_ok()) << applied.message();
  });
  script.now_ns = kT0;
  script.account_type = AccountType::Savings;
  return script;
}

using Reply = testing::ModelReply;

template <typename MakeBody>
Reply ask(AccountModel& model, protocol::RequestBody type, MakeBody make_body) {
  return testing::ask_model(model, type, make_body);
}

Reply reserve(AccountModel& model, std::string_view currency = {}) {
  return ask(model, protocol::RequestBody::ReserveQuery, [&](auto& builder) {
    return protocol::CreateReserveQuery(builder,
                                        currency.empty() ? 0 : builder.CreateString(currency));
  });
}
Reply top(AccountModel& model, std::string_view currency, uint32_t limit) {
  return ask(model, protocol::RequestBody::TopAccountsQuery, [&](auto& builder) {
    return protocol::CreateTopAccountsQuery(
        builder, currency.empty() ? 0 : builder.CreateString(currency), limit);
  });
}
Reply list(AccountModel& model, std::string_view owner, uint64_t cursor, uint32_t limit) {
  return ask(model, protocol::RequestBody::AccountListQuery, [&](auto& builder) {
    return protocol::CreateAccountListQuery(
        builder, owner.empty() ? 0 : builder.CreateString(owner), cursor, limit);
  });
}
Reply account(AccountModel& model, std::string_view id) {
  return ask(model, protocol::RequestBody::AccountQuery, [&](auto& builder) {
    return protocol::CreateAccountQuery(builder, builder.CreateString(id));
  });
}
Reply balance(AccountModel& model, std::string_view id) {
  return ask(model, protocol::RequestBody::BalanceQuery, [&](auto& builder) {
    return protocol::CreateBalanceQuery(builder, builder.CreateString(id));
  });
}
Reply summary(AccountModel& model, std::string_view id) {
  return ask(model, protocol::RequestBody::AccountSummaryQuery, [&](auto& builder) {
    return protocol::CreateAccountSummaryQuery(builder, builder.CreateString(id));
  });
}

// An Int128 from the wire as one number: high * 2^64 + low.
Wide wide(const protocol::Int128* value) {
  EXPECT_NE(value, nullptr);
  if (value == nullptr) {
    return 0;
  }
  return static_cast<Wide>(value->high()) * (static_cast<Wide>(1) << 64) +
         static_cast<Wide>(value->low());
}

struct Counts {
  uint64_t accounts = 0;
  uint64_t active = 0;
  uint64_t frozen = 0;
  uint64_t closed = 0;
  friend bool operator==(const Counts&, const Counts&) = default;
  friend std::ostream& operator<<(std::ostream& out, const Counts& counts) {
    return out << "{accounts " << counts.accounts << ", active " << counts.active << ", frozen "
               << counts.frozen << ", closed " << counts.closed << "}";
  }
};

// The reserve's account counts for one currency.
Counts counts_of(AccountModel& model, std::string_view currency) {
  const Reply reply = reserve(model, currency);
  const auto* result = reply.as<protocol::ReserveResult>();
  if (result == nullptr || result->currencies() == nullptr || result->currencies()->size() != 1) {
    ADD_FAILURE() << "no reserve for " << currency;
    return {};
  }
  const protocol::CurrencyReserve* one = result->currencies()->Get(0);
  EXPECT_EQ(one->currency()->string_view(), currency);
  return {.accounts = one->accounts(),
          .active = one->active(),
          .frozen = one->frozen(),
          .closed = one->closed()};
}

std::vector<std::string> ids_of(const protocol::AccountListResult* result) {
  std::vector<std::string> ids;
  if (result != nullptr && result->accounts() != nullptr) {
    for (const protocol::AccountDetails* details : *result->accounts()) {
      ids.emplace_back(details->account_id()->string_view());
    }
  }
  return ids;
}

// Top accounts as "id:balance" strings, in the order given.
std::vector<std::string> ranking_of(const Reply& reply) {
  std::vector<std::string> ranking;
  const auto* result = reply.as<protocol::TopAccountsResult>();
  if (result != nullptr && result->accounts() != nullptr) {
    for (const protocol::AccountBalance* entry : *result->accounts()) {
      ranking.push_back(std::string(entry->account_id()->string_view()) + ":" +
                        std::to_string(entry->balance()));
    }
  }
  return ranking;
}

using Ids = std::vector<std::string>;

TEST(AccountModelTest, ReserveTotalsPastTheInt64RangeAreExactOnTheWire) {
  AccountModel model;
  testing::EventScript script = script_for(model);
  // USD first: the reserve is ordered by currency code, not by first use.
  script.open("usd-1", "USD", 0, "Ann", kMax);
  script.open("usd-2", "USD", 0, "Ann", kMax);
  script.withdraw("usd-1", kMax);  // -(2^63 - 1)
  script.withdraw("usd-2", kMax);  // -(2^63 - 1)
  script.open("eur-1", "EUR", kMax);
  script.open("eur-2", "EUR", kMax);
  script.open("eur-3", "EUR", 0);
  script.deposit("eur-3", kMax - 3);
  script.withdraw("eur-3", 4);  // eur-3: 2^63 - 8

  // EUR: 3 * (2^63 - 1) - 7 = 2^64 + 2^63 - 10, so high 1, low 2^63 - 10.
  const Wide eur = static_cast<Wide>(kMax) * 3 - 7;
  // USD: -2 * (2^63 - 1) = -2^64 + 2, so high -1, low 2.
  const Wide usd = -static_cast<Wide>(kMax) * 2;

  const Reply all = reserve(model);
  const auto* result = all.as<protocol::ReserveResult>();
  ASSERT_NE(result, nullptr);
  ASSERT_NE(result->currencies(), nullptr);
  ASSERT_EQ(result->currencies()->size(), 2u);
  const protocol::CurrencyReserve* first = result->currencies()->Get(0);
  const protocol::CurrencyReserve* second = result->currencies()->Get(1);
  EXPECT_EQ(first->currency()->string_view(), "EUR");
  EXPECT_TRUE(wide(first->total_balance()) == eur);
  EXPECT_EQ(first->total_balance()->high(), 1);
  EXPECT_EQ(first->total_balance()->low(), (uint64_t{1} << 63) - 10);
  EXPECT_EQ(first->accounts(), 3u);
  EXPECT_EQ(first->active(), 3u);
  EXPECT_EQ(second->currency()->string_view(), "USD");
  EXPECT_TRUE(wide(second->total_balance()) == usd);
  EXPECT_EQ(second->total_balance()->high(), -1);
  EXPECT_EQ(second->total_balance()->low(), 2u);
  EXPECT_EQ(second->accounts(), 2u);

  // One currency asked for by name; an unused one gives no entry; a malformed one an error.
  const Reply only_usd = reserve(model, "USD");
  const auto* usd_result = only_usd.as<protocol::ReserveResult>();
  ASSERT_NE(usd_result, nullptr);
  ASSERT_EQ(usd_result->currencies()->size(), 1u);
  EXPECT_TRUE(wide(usd_result->currencies()->Get(0)->total_balance()) == usd);
  const Reply unused = reserve(model, "JPY");
  ASSERT_NE(unused.as<protocol::ReserveResult>(), nullptr);
  EXPECT_EQ(unused.as<protocol::ReserveResult>()->currencies()->size(), 0u);
  EXPECT_EQ(reserve(model, "usd").code, ResultCode::InvalidArgument);
  EXPECT_EQ(reserve(model, "EURO").code, ResultCode::InvalidArgument);
}

TEST(AccountModelTest, ReserveCountsFollowFreezeUnfreezeAndClose) {
  AccountModel model;
  testing::EventScript script = script_for(model);
  script.open("a", "EUR", 100);
  script.open("b", "EUR", 0);
  script.open("c", "EUR", 50);
  script.open("d", "EUR", 0);
  script.open("e", "USD", 10);
  EXPECT_EQ(counts_of(model, "EUR"), (Counts{4, 4, 0, 0}));

  script.now_ns = kT0 + 1 * kSecond;
  script.freeze("a", "suspicious");
  EXPECT_EQ(counts_of(model, "EUR"), (Counts{4, 3, 1, 0}));
  script.freeze("c");
  EXPECT_EQ(counts_of(model, "EUR"), (Counts{4, 2, 2, 0}));
  script.freeze("e");
  EXPECT_EQ(counts_of(model, "USD"), (Counts{1, 0, 1, 0}));
  EXPECT_EQ(counts_of(model, "EUR"), (Counts{4, 2, 2, 0}));  // another currency's freeze

  script.now_ns = kT0 + 2 * kSecond;
  script.unfreeze("a");
  EXPECT_EQ(counts_of(model, "EUR"), (Counts{4, 3, 1, 0}));
  script.close("b");
  EXPECT_EQ(counts_of(model, "EUR"), (Counts{4, 2, 1, 1}));
  script.close("d");
  EXPECT_EQ(counts_of(model, "EUR"), (Counts{4, 1, 1, 2}));
  script.unfreeze("e");
  EXPECT_EQ(counts_of(model, "USD"), (Counts{1, 1, 0, 0}));

  const Reply total = reserve(model, "EUR");
  ASSERT_NE(total.as<protocol::ReserveResult>(), nullptr);
  EXPECT_TRUE(wide(total.as<protocol::ReserveResult>()->currencies()->Get(0)->total_balance()) ==
              150);

  // The accounts themselves: a was frozen and unfrozen (version 3, no reason left), c is
  // frozen with the default reason, b closed.
  const Reply a = account(model, "a");
  ASSERT_NE(a.as<protocol::AccountResult>(), nullptr);
  const protocol::AccountDetails* a_details = a.as<protocol::AccountResult>()->account();
  EXPECT_EQ(a_details->status(), AccountStatus::Active);
  EXPECT_EQ(a_details->version(), 3u);
  EXPECT_EQ(a_details->freeze_reason(), nullptr);
  EXPECT_EQ(a_details->created_ns(), kT0);
  EXPECT_EQ(a_details->updated_ns(), kT0 + 2 * kSecond);
  EXPECT_EQ(a_details->balance(), 100);
  const Reply c = account(model, "c");
  ASSERT_NE(c.as<protocol::AccountResult>(), nullptr);
  const protocol::AccountDetails* c_details = c.as<protocol::AccountResult>()->account();
  EXPECT_EQ(c_details->status(), AccountStatus::Frozen);
  ASSERT_NE(c_details->freeze_reason(), nullptr);
  EXPECT_EQ(c_details->freeze_reason()->string_view(), "audit");
  const Reply b = balance(model, "b");
  ASSERT_NE(b.as<protocol::BalanceResult>(), nullptr);
  EXPECT_EQ(b.as<protocol::BalanceResult>()->status(), AccountStatus::Closed);
  EXPECT_EQ(b.as<protocol::BalanceResult>()->version(), 2u);
  EXPECT_EQ(b.as<protocol::BalanceResult>()->currency()->string_view(), "EUR");
}

TEST(AccountModelTest, TopAccountsRankTiesByOpeningOrderAndLeaveClosedOnesOut) {
  AccountModel model;
  testing::EventScript script = script_for(model);
  script.open("p", "EUR", 500, "Pat");
  script.open("q", "EUR", 700, "Quinn");
  script.open("r", "EUR", 500, "Rae");
  script.open("s", "EUR", 700, "Sam");
  script.open("t", "EUR", 100, "Tess");
  script.open("u", "EUR", 900, "Uma");
  script.open("v", "USD", 1'000'000, "Val");
  script.open("w", "EUR", 0, "Wes", 1000);
  script.open("x", "EUR", 800, "Xia");
  script.deposit("t", 400);   // t: 500, a tie with p and r made after they opened
  script.freeze("s");         // frozen accounts still rank
  script.withdraw("u", 900);  // u: 0, then closed: it would rank above w if it counted
  script.close("u");
  script.withdraw("w", 300);  // w: -300

  // x 800; q and s 700 (q opened first); p, r and t 500; w -300. Seven open EUR accounts.
  const Ids everyone = {"x:800", "q:700", "s:700", "p:500", "r:500", "t:500", "w:-300"};
  EXPECT_EQ(ranking_of(top(model, "EUR", 7)), everyone);  // the limit is exactly the count
  EXPECT_EQ(ranking_of(top(model, "EUR", 100)), everyone);
  EXPECT_EQ(ranking_of(top(model, "EUR", 5)), (Ids{"x:800", "q:700", "s:700", "p:500", "r:500"}));
  EXPECT_EQ(ranking_of(top(model, "EUR", 2)), (Ids{"x:800", "q:700"}));
  EXPECT_EQ(ranking_of(top(model, "USD", 1)), (Ids{"v:1000000"}));
  EXPECT_EQ(ranking_of(top(model, "GBP", 10)), Ids{});

  const Reply with_owner = top(model, "EUR", 1);
  const auto* result = with_owner.as<protocol::TopAccountsResult>();
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(result->currency()->string_view(), "EUR");
  ASSERT_EQ(result->accounts()->size(), 1u);
  EXPECT_EQ(result->accounts()->Get(0)->owner()->string_view(), "Xia");

  EXPECT_EQ(top(model, "EUR", 101).code, ResultCode::LimitExceeded);
  EXPECT_EQ(top(model, "EUR", 0).code, ResultCode::InvalidArgument);
  EXPECT_EQ(top(model, "", 10).code, ResultCode::InvalidArgument);
  EXPECT_EQ(top(model, "eur", 10).code, ResultCode::InvalidArgument);
}

TEST(AccountModelTest, AnEmptyLedgerListsNothing) {
  AccountModel model;
  const Reply reply = list(model, {}, 0, 10);
  const auto* result = reply.as<protocol::AccountListResult>();
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(ids_of(result), Ids{});
  EXPECT_EQ(result->total(), 0u);
  EXPECT_EQ(result->next_cursor(), 0u);
  const Reply reserves = reserve(model);
  ASSERT_NE(reserves.as<protocol::ReserveResult>(), nullptr);
  EXPECT_EQ(reserves.as<protocol::ReserveResult>()->currencies()->size(), 0u);
  EXPECT_EQ(ranking_of(top(model, "EUR", 10)), Ids{});
}

TEST(AccountModelTest, AccountListPagesEndExactlyAndCursorsPastTheEndAreEmpty) {
  AccountModel model;
  testing::EventScript script = script_for(model);
  script.open("a1", "EUR", 0, "Ada");
  script.open("a2", "EUR", 0, "Bob");
  script.open("a3", "USD", 0, "Ada");
  script.open("a4", "EUR", 0, "Bob");
  script.open("a5", "EUR", 0, "Ada");
  script.close("a4");  // closed accounts are still listed

  struct Page {
    Ids ids;
    uint64_t next_cursor = 0;
    uint64_t total = 0;
  };
  const auto page = [&](std::string_view owner, uint64_t cursor, uint32_t limit) {
    const Reply reply = list(model, owner, cursor, limit);
    const auto* result = reply.as<protocol::AccountListResult>();
    return result == nullptr ? Page{}
                             : Page{ids_of(result), result->next_cursor(), result->total()};
  };

  // Every account, two at a time: the cursor continues, and is 0 after the last page.
  Page one = page({}, 0, 2);
  EXPECT_EQ(one.ids, (Ids{"a1", "a2"}));
  EXPECT_EQ(one.total, 5u);
  ASSERT_NE(one.next_cursor, 0u);
  Page two = page({}, one.next_cursor, 2);
  EXPECT_EQ(two.ids, (Ids{"a3", "a4"}));
  ASSERT_NE(two.next_cursor, 0u);
  Page three = page({}, two.next_cursor, 2);
  EXPECT_EQ(three.ids, (Ids{"a5"}));
  EXPECT_EQ(three.next_cursor, 0u);

  // A page that ends exactly on the last account says there is no more.
  Page exact = page({}, 3, 2);
  EXPECT_EQ(exact.ids, (Ids{"a4", "a5"}));
  EXPECT_EQ(exact.next_cursor, 0u);
  EXPECT_EQ(exact.total, 5u);
  Page whole = page({}, 0, 5);
  EXPECT_EQ(whole.ids, (Ids{"a1", "a2", "a3", "a4", "a5"}));
  EXPECT_EQ(whole.next_cursor, 0u);

  // Cursors at and past the end: an empty page, the total still counted.
  for (const uint64_t cursor : {uint64_t{5}, uint64_t{6}, uint64_t{1000}, UINT64_MAX}) {
    Page past = page({}, cursor, 1000);
    EXPECT_EQ(past.ids, Ids{}) << cursor;
    EXPECT_EQ(past.next_cursor, 0u) << cursor;
    EXPECT_EQ(past.total, 5u) << cursor;
  }

  // One owner's accounts, in opening order, whatever their currency.
  Page ada = page("Ada", 0, 2);
  EXPECT_EQ(ada.ids, (Ids{"a1", "a3"}));
  EXPECT_EQ(ada.total, 3u);
  ASSERT_NE(ada.next_cursor, 0u);
  Page ada_rest = page("Ada", ada.next_cursor, 2);
  EXPECT_EQ(ada_rest.ids, (Ids{"a5"}));
  EXPECT_EQ(ada_rest.next_cursor, 0u);
  Page bob = page("Bob", 0, 2);
  EXPECT_EQ(bob.ids, (Ids{"a2", "a4"}));
  EXPECT_EQ(bob.next_cursor, 0u);
  EXPECT_EQ(bob.total, 2u);
  Page bob_past = page("Bob", 2, 2);
  EXPECT_EQ(bob_past.ids, Ids{});
  EXPECT_EQ(bob_past.next_cursor, 0u);
  Page nobody = page("Nobody", 0, 10);
  EXPECT_EQ(nobody.ids, Ids{});
  EXPECT_EQ(nobody.total, 0u);
  EXPECT_EQ(nobody.next_cursor, 0u);
  Page prefix = page("Ad", 0, 10);  // owners match whole, not by prefix
  EXPECT_EQ(prefix.total, 0u);

  EXPECT_EQ(list(model, {}, 0, 1000).code, ResultCode::Ok);
  EXPECT_EQ(list(model, {}, 0, 1001).code, ResultCode::LimitExceeded);
  EXPECT_EQ(list(model, {}, 0, 0).code, ResultCode::InvalidArgument);
}

TEST(AccountModelTest, AnUnknownAccountIsNotFound) {
  AccountModel model;
  testing::EventScript script = script_for(model);
  script.open("known", "EUR", 10);
  // A rejected command naming an account that does not exist does not create it.
  script.reject("ghost", CommandType::Deposit, ResultCode::AccountNotFound, 5);
  EXPECT_EQ(model.account_count(), 1u);

  EXPECT_EQ(account(model, "ghost").code, ResultCode::AccountNotFound);
  EXPECT_EQ(balance(model, "ghost").code, ResultCode::AccountNotFound);
  EXPECT_EQ(summary(model, "ghost").code, ResultCode::AccountNotFound);
  EXPECT_EQ(account(model, "Known").code, ResultCode::AccountNotFound);  // ids are exact
  EXPECT_EQ(account(model, "").code, ResultCode::InvalidArgument);
  EXPECT_EQ(balance(model, "").code, ResultCode::InvalidArgument);
  EXPECT_EQ(summary(model, "").code, ResultCode::InvalidArgument);

  script.open("ghost", "EUR", 0);  // opened later: found from then on
  EXPECT_EQ(account(model, "ghost").code, ResultCode::Ok);
  const Reply ghost = summary(model, "ghost");
  ASSERT_NE(ghost.as<protocol::AccountSummaryResult>(), nullptr);
  EXPECT_EQ(ghost.as<protocol::AccountSummaryResult>()->rejections(), 0u);

  model.reset();
  EXPECT_EQ(model.account_count(), 0u);
  EXPECT_EQ(account(model, "known").code, ResultCode::AccountNotFound);
}

TEST(AccountModelTest, SummaryCountsEverythingIncludingRejectionsAndActivityTimes) {
  AccountModel model;
  testing::EventScript script = script_for(model);
  script.open("s", "EUR", 1000, "Sue");  // deposits 1, deposited 1000
  script.now_ns = kT0 + 10 * kSecond;
  script.open("o", "EUR", 0, "Oz");  // no opening deposit
  script.now_ns = kT0 + 20 * kSecond;
  script.deposit("s", 500);  // s 1500
  script.now_ns = kT0 + 30 * kSecond;
  script.withdraw("s", 200);  // s 1300
  script.now_ns = kT0 + 40 * kSecond;
  script.transfer("s", "o", 300);  // s 1000, o 300
  script.now_ns = kT0 + 50 * kSecond;
  script.transfer("o", "s", 100);  // o 200, s 1100
  script.now_ns = kT0 + 60 * kSecond;
  script.reject("s", CommandType::Withdraw, ResultCode::InsufficientFunds, 5000);
  script.now_ns = kT0 + 70 * kSecond;
  script.reject("s", CommandType::Deposit, ResultCode::InvalidAmount, -1);

  const Reply s_reply = summary(model, "s");
  const auto* s = s_reply.as<protocol::AccountSummaryResult>();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->account_id()->string_view(), "s");
  EXPECT_EQ(s->currency()->string_view(), "EUR");
  EXPECT_TRUE(wide(s->deposited()) == 1500);
  EXPECT_EQ(s->deposits(), 2u);
  EXPECT_TRUE(wide(s->withdrawn()) == 200);
  EXPECT_EQ(s->withdrawals(), 1u);
  EXPECT_TRUE(wide(s->transferred_in()) == 100);
  EXPECT_EQ(s->transfers_in(), 1u);
  EXPECT_TRUE(wide(s->transferred_out()) == 300);
  EXPECT_EQ(s->transfers_out(), 1u);
  EXPECT_EQ(s->rejections(), 2u);
  EXPECT_EQ(s->first_activity_ns(), kT0);
  EXPECT_EQ(s->last_activity_ns(), kT0 + 70 * kSecond);  // the last rejection

  const Reply o_reply = summary(model, "o");
  const auto* o = o_reply.as<protocol::AccountSummaryResult>();
  ASSERT_NE(o, nullptr);
  EXPECT_TRUE(wide(o->deposited()) == 0);
  EXPECT_EQ(o->deposits(), 0u);
  EXPECT_TRUE(wide(o->transferred_in()) == 300);
  EXPECT_EQ(o->transfers_in(), 1u);
  EXPECT_TRUE(wide(o->transferred_out()) == 100);
  EXPECT_EQ(o->transfers_out(), 1u);
  EXPECT_EQ(o->rejections(), 0u);
  EXPECT_EQ(o->first_activity_ns(), kT0 + 10 * kSecond);
  EXPECT_EQ(o->last_activity_ns(), kT0 + 50 * kSecond);

  // Rejections change no state: s was last updated by the transfer in, at version 5
  // (opened 1, deposit 2, withdrawal 3, transfer out 4, transfer in 5).
  const Reply s_account = account(model, "s");
  ASSERT_NE(s_account.as<protocol::AccountResult>(), nullptr);
  const protocol::AccountDetails* details = s_account.as<protocol::AccountResult>()->account();
  EXPECT_EQ(details->balance(), 1100);
  EXPECT_EQ(details->version(), 5u);
  EXPECT_EQ(details->updated_ns(), kT0 + 50 * kSecond);
  EXPECT_EQ(details->created_ns(), kT0);
  EXPECT_EQ(details->opened_sequence(), 1u);
  EXPECT_EQ(details->owner()->string_view(), "Sue");
  EXPECT_EQ(details->account_type(), AccountType::Savings);
  const Reply o_balance = balance(model, "o");
  ASSERT_NE(o_balance.as<protocol::BalanceResult>(), nullptr);
  EXPECT_EQ(o_balance.as<protocol::BalanceResult>()->balance(), 200);
  EXPECT_EQ(o_balance.as<protocol::BalanceResult>()->version(), 3u);  // opened, in, out
}

TEST(AccountModelTest, SummarySumsPastTheInt64RangeAreExact) {
  AccountModel model;
  testing::EventScript script = script_for(model);
  script.open("big", "EUR", 0, "Big", kMax);
  script.deposit("big", kMax);
  script.withdraw("big", kMax);
  script.deposit("big", kMax);
  script.withdraw("big", kMax);
  script.withdraw("big", kMax);  // big: -(2^63 - 1), on its overdraft
  script.open("rich-1", "EUR", kMax);
  script.open("rich-2", "EUR", kMax);
  script.transfer("rich-1", "big", kMax);  // big: 0
  script.transfer("rich-2", "big", kMax);  // big: 2^63 - 1
  const Reply reply = summary(model, "big");
  const auto* result = reply.as<protocol::AccountSummaryResult>();
  ASSERT_NE(result, nullptr);
  // Deposited 2 * (2^63 - 1) = 2^64 - 2: high 0, low 2^64 - 2.
  EXPECT_TRUE(wide(result->deposited()) == static_cast<Wide>(kMax) * 2);
  EXPECT_EQ(result->deposited()->high(), 0);
  EXPECT_EQ(result->deposited()->low(), UINT64_MAX - 1);
  EXPECT_EQ(result->deposits(), 2u);
  // Withdrawn 3 * (2^63 - 1) = 2^64 + 2^63 - 3: high 1, low 2^63 - 3.
  EXPECT_TRUE(wide(result->withdrawn()) == static_cast<Wide>(kMax) * 3);
  EXPECT_EQ(result->withdrawn()->high(), 1);
  EXPECT_EQ(result->withdrawn()->low(), (uint64_t{1} << 63) - 3);
  EXPECT_EQ(result->withdrawals(), 3u);
  // Transferred in 2 * (2^63 - 1), out nothing.
  EXPECT_TRUE(wide(result->transferred_in()) == static_cast<Wide>(kMax) * 2);
  EXPECT_EQ(result->transfers_in(), 2u);
  EXPECT_TRUE(wide(result->transferred_out()) == 0);
  EXPECT_EQ(result->transfers_out(), 0u);
  const Reply now = balance(model, "big");
  ASSERT_NE(now.as<protocol::BalanceResult>(), nullptr);
  EXPECT_EQ(now.as<protocol::BalanceResult>()->balance(), kMax);
  EXPECT_EQ(now.as<protocol::BalanceResult>()->version(), 8u);  // opened, 5 moves, 2 transfers in
}

}  // namespace
}  // namespace tally::read
