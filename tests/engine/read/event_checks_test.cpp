// The checks both read models make of each event (engine/read/event_checks.h): an event from
// the journal that does not fit the model is refused with kCorruption saying which event and
// why, and changes nothing, so the next good event still applies. What the models assert
// instead (sequences grow, times never go back) stops the process: their projector guarantees
// it, checking the journal on the way in.
#include "engine/read/event_checks.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "engine/journal/posix_storage.h"
#include "engine/read/account_model.h"
#include "engine/read/history_model.h"
#include "support/event_script.h"
#include "support/model_query.h"

namespace tally::read {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000'000;

// An event that does not fit, made from a good one, and the words its refusal must hold.
struct BadEvent {
  std::string what;
  std::function<void(Outcome&)> spoil;
  std::string refusal;
};

std::vector<BadEvent> bad_events() {
  const auto transfer_to = [](std::string_view to) {
    return [to](Outcome& event) {
      event.type = EventType::Transferred;
      event.command_type = CommandType::Transfer;
      event.counterparty_id.assign(to);
      event.balance = 90;  // a: 100 - 10
      event.counterparty_balance = to == "u" ? 60 : 10;
      event.counterparty_version = 2;
    };
  };
  return {
      {"a deposit to an account never opened",
       [](Outcome& event) { event.account_id.assign("ghost"); },
       "event 4 (Deposited) names account 'ghost', which was never opened"},
      {"a balance that does not follow from the amount",
       [](Outcome& event) { event.balance = 111; }, "leaves 'a' at balance 111 version 2"},
      {"a version that skips one", [](Outcome& event) { event.version = 3; },
       "from balance 100 version 1 and an amount of 10"},
      {"an account opened twice",
       [](Outcome& event) {
         event.type = EventType::AccountOpened;
         event.balance = 10;
         event.version = 1;
         event.currency = *CurrencyCode::parse("EUR");
       },
       "opens account 'a', which is open already"},
      {"an opening whose balance is not its deposit",
       [](Outcome& event) {
         event.type = EventType::AccountOpened;
         event.account_id.assign("new");
         event.currency = *CurrencyCode::parse("EUR");
       },
       "opens 'new' with balance 110 at version 2 from a deposit of 10"},
      {"a transfer between currencies", transfer_to("u"),
       "transfers from EUR account 'a' to USD account 'u'"},
      {"a transfer to the same account", transfer_to("a"), "transfers from 'a' to itself"},
      {"a transfer to an account never opened", transfer_to("ghost"),
       "names account 'ghost', which was never opened"},
      {"an event of no known type", [](Outcome& event) { event.type = static_cast<EventType>(42); },
       "event 4 (type 42) is of no type a read model knows"},
  };
}

// Opens a (EUR 100), b (EUR 0) and u (USD 50), applies them through `apply`, and returns the
// good event that comes next: a deposit of 10 into a (balance 110, version 2), sequence 4.
Outcome open_three(const std::function<Status(const Outcome&)>& apply) {
  testing::EventScript script;
  script.now_ns = kT0;
  script.open("a", "EUR", 100);
  script.open("b", "EUR", 0);
  script.open("u", "USD", 50);
  for (const Outcome& event : script.events) {
    const Status applied = apply(event);
    EXPECT_TRUE(applied.is_ok()) << applied.message();
  }
  script.deposit("a", 10);
  return script.events.back();
}

int64_t balance_of(AccountModel& model, std::string_view id) {
  const testing::ModelReply reply =
      testing::ask_model(model, protocol::RequestBody::BalanceQuery, [&](auto& builder) {
        return protocol::CreateBalanceQuery(builder, builder.CreateString(id));
      });
  const auto* result = reply.as<protocol::BalanceResult>();
  return result == nullptr ? -1 : result->balance();
}

TEST(EventChecksTest, TheAccountModelRefusesAnEventThatDoesNotFitAndChangesNothing) {
  AccountModel model;
  const Outcome good = open_three([&](const Outcome& event) { return model.apply(event, {}); });
  for (const BadEvent& bad : bad_events()) {
    SCOPED_TRACE(bad.what);
    Outcome event = good;
    bad.spoil(event);
    const Status refused = model.apply(event, {});
    EXPECT_EQ(refused.code(), StatusCode::kCorruption);
    EXPECT_NE(refused.message().find(bad.refusal), std::string::npos) << refused.message();
    EXPECT_EQ(balance_of(model, "a"), 100);
    EXPECT_EQ(balance_of(model, "u"), 50);
    EXPECT_EQ(model.account_count(), 3u);
  }
  ASSERT_TRUE(model.apply(good, {}).is_ok());
  EXPECT_EQ(balance_of(model, "a"), 110);
}

TEST(EventChecksTest, TheHistoryModelRefusesAnEventThatDoesNotFitAndChangesNothing) {
  journal::PosixStorage storage;
  HistoryModel model(storage, "/nonexistent");  // apply() never reads the journal
  const Outcome good = open_three([&](const Outcome& event) { return model.apply(event, {}); });
  for (const BadEvent& bad : bad_events()) {
    SCOPED_TRACE(bad.what);
    Outcome event = good;
    bad.spoil(event);
    const Status refused = model.apply(event, {});
    EXPECT_EQ(refused.code(), StatusCode::kCorruption);
    EXPECT_NE(refused.message().find(bad.refusal), std::string::npos) << refused.message();
    ASSERT_NE(model.find("a"), nullptr);
    EXPECT_EQ(model.find("a")->entries.size(), 1u);
    EXPECT_EQ(model.find("a")->latest.balance, 100);
    EXPECT_EQ(model.find("u")->entries.size(), 1u);
    EXPECT_EQ(model.find("new"), nullptr);
  }
  ASSERT_TRUE(model.apply(good, {}).is_ok());
  EXPECT_EQ(model.find("a")->entries.size(), 2u);
  EXPECT_EQ(model.find("a")->latest.balance, 110);
}

// A rejection may name an account that does not exist: it changes nothing, so nothing about it
// can contradict the model.
TEST(EventChecksTest, ARejectionNamingNoAccountIsApplied) {
  AccountModel accounts;
  journal::PosixStorage storage;
  HistoryModel history(storage, "/nonexistent");
  testing::EventScript script([&](const Outcome& event) {
    EXPECT_TRUE(accounts.apply(event, {}).is_ok());
    EXPECT_TRUE(history.apply(event, {}).is_ok());
  });
  script.now_ns = kT0;
  script.open("a", "EUR", 100);
  script.reject("ghost", CommandType::Deposit, ResultCode::AccountNotFound, 5);
  script.reject("a", CommandType::Transfer, ResultCode::AccountNotFound, 5);
  EXPECT_EQ(balance_of(accounts, "a"), 100);
}

TEST(EventChecksDeathTest, AModelHandedAnEventOutOfOrderStopsTheProcess) {
  testing::EventScript script;
  script.now_ns = kT0;
  script.open("a", "EUR", 100);
  script.deposit("a", 10);
  const Outcome opened = script.events[0];
  const Outcome deposited = script.events[1];
  EXPECT_DEATH(
      {
        AccountModel model;
        (void)model.apply(opened, {});
        (void)model.apply(deposited, {});
        (void)model.apply(deposited, {});  // the same sequence again
      },
      "invariant failed");
  Outcome earlier = deposited;
  earlier.timestamp_ns = kT0 - 1;
  EXPECT_DEATH(
      {
        journal::PosixStorage storage;
        HistoryModel model(storage, "/nonexistent");
        (void)model.apply(opened, {});
        (void)model.apply(earlier, {});  // a time that goes back
      },
      "invariant failed");
}

}  // namespace
}  // namespace tally::read
