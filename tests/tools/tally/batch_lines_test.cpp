// The CLI's batch lines (tools/tally/commands.h) on their own, no server: read_batch through the
// subcommands' own syntax, then BatchPlanner with account currencies as a server would give
// them, checked on the request it would send (encoded, then decoded as the server does).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "engine/wire/wire_decoder.h"
#include "net/protocol/frame.h"
#include "tools/tally/commands.h"
#include "tools/tally/parsers.h"

namespace tally::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// The server's answer to "which currency is this account in?": three accounts it knows.
std::optional<std::string> server_currency_of(const std::string& account_id) {
  if (account_id == "alice" || account_id == "bob") {
    return "EUR";
  }
  if (account_id == "yen") {
    return "JPY";
  }
  if (account_id == "dinar") {
    return "KWD";
  }
  return std::nullopt;
}

// A batch read and planned, and the commands of the request it would send.
class PlannedBatch {
 public:
  explicit PlannedBatch(const std::string& text, bool atomic = false) {
    std::istringstream input(text);
    planner_.set_atomic(atomic);
    read_batch(input, planner_);
    planner_.plan(server_currency_of);
    std::vector<uint8_t> frame;
    planner_.batch().encode(Id128{.low = 7, .high = 0}, frame);
    // The message without its length, in a buffer of its own: FlatBuffers reads aligned data,
    // and the server, too, copies each frame into an aligned ingress batch before decoding.
    message_.assign(frame.begin() + net::kFrameHeaderBytes, frame.end());
    batch_ = decode_command_request(message_, commands_);
  }

  const std::vector<Command>& sent() const { return commands_; }
  const CommandBatch& batch() const { return batch_; }
  const std::vector<PlannedCommand>& planned() const { return planner_.commands(); }

 private:
  BatchPlanner planner_;
  std::vector<uint8_t> message_;  // the decoded commands view its bytes
  std::vector<Command> commands_;
  CommandBatch batch_;
};

// The message of the UsageError reading (or, with `plan`, planning) `text` throws.
std::string batch_error(const std::string& text, bool plan = true) {
  std::istringstream input(text);
  BatchPlanner planner;
  try {
    read_batch(input, planner);
    if (plan) {
      planner.plan(server_currency_of);
    }
  } catch (const UsageError& error) {
    return error.what();
  }
  ADD_FAILURE() << "no UsageError for: " << text;
  return "";
}

TEST(CliBatchLines, ReadOneCommandPerLineSkippingBlankLinesAndComments) {
  const PlannedBatch batch(
      "# month end\n"
      "open carol --owner 'Carol C' --currency EUR --initial-deposit 100 --overdraft 5.5\n"
      "\n"
      "   # an indented comment\n"
      "deposit carol 12.50   # a trailing comment\n"
      "transfer carol alice 2.50 --transaction-id 1f\n");
  ASSERT_EQ(batch.sent().size(), 3u);
  const Command& open = batch.sent()[0];
  EXPECT_EQ(open.type, CommandType::OpenAccount);
  EXPECT_EQ(open.account_id, "carol");
  EXPECT_EQ(open.owner, "Carol C");
  EXPECT_EQ(open.currency, "EUR");
  EXPECT_EQ(open.account_type, AccountType::Checking);
  EXPECT_EQ(open.amount, 10'000);
  EXPECT_EQ(open.overdraft_limit, 550);
  EXPECT_EQ(batch.sent()[1].type, CommandType::Deposit);
  EXPECT_EQ(batch.sent()[1].amount, 1250);
  const Command& transfer = batch.sent()[2];
  EXPECT_EQ(transfer.type, CommandType::Transfer);
  EXPECT_EQ(transfer.account_id, "carol");
  EXPECT_EQ(transfer.counterparty_id, "alice");
  EXPECT_EQ(transfer.amount, 250);
  EXPECT_EQ(transfer.transaction_id, (Id128{.low = 0x1f, .high = 0}));
  EXPECT_FALSE(batch.batch().atomic);
}

TEST(CliBatchLines, EveryCommandReadsAsOnTheCommandLine) {
  const PlannedBatch batch(
      "open - --owner Gen --currency USD --type savings\n"
      "withdraw alice 1 --expected-version 3\n"
      "transfer alice bob 1 --expected-from-version 4 --expected-to-version 9\n"
      "freeze bob --reason \"routine audit\" --expected-version 2\n"
      "unfreeze bob\n"
      "close bob --currency EUR\n",
      /*atomic=*/true);
  ASSERT_EQ(batch.sent().size(), 6u);
  EXPECT_TRUE(batch.batch().atomic);
  const Command& open = batch.sent()[0];
  EXPECT_EQ(open.account_id, "");  // "-": the server generates the id
  EXPECT_EQ(open.account_type, AccountType::Savings);
  EXPECT_EQ(open.amount, 0);
  EXPECT_EQ(batch.sent()[1].type, CommandType::Withdraw);
  EXPECT_EQ(batch.sent()[1].expected_version, std::optional<uint64_t>(3));
  EXPECT_EQ(batch.sent()[2].expected_version, std::optional<uint64_t>(4));
  EXPECT_EQ(batch.sent()[2].expected_counterparty_version, std::optional<uint64_t>(9));
  EXPECT_EQ(batch.sent()[3].type, CommandType::FreezeAccount);
  EXPECT_EQ(batch.sent()[3].reason, "routine audit");
  EXPECT_EQ(batch.sent()[3].expected_version, std::optional<uint64_t>(2));
  EXPECT_EQ(batch.sent()[4].type, CommandType::UnfreezeAccount);
  EXPECT_EQ(batch.sent()[4].expected_version, std::nullopt);
  EXPECT_EQ(batch.sent()[5].type, CommandType::CloseAccount);
  EXPECT_EQ(batch.planned()[0].kind, CommandKind::kOpen);
  EXPECT_EQ(batch.planned()[0].account_id, "");
  EXPECT_EQ(batch.planned()[5].kind, CommandKind::kClose);
}

TEST(CliBatchLines, EachLineStartsAfresh) {
  // The second line must not inherit the first's transaction id, counterparty or versions.
  const PlannedBatch batch(
      "transfer alice bob 1 --transaction-id 1f --expected-from-version 2 "
      "--expected-to-version 3\n"
      "deposit alice 1\n");
  ASSERT_EQ(batch.sent().size(), 2u);
  const Command& deposit = batch.sent()[1];
  EXPECT_EQ(deposit.counterparty_id, "");
  EXPECT_TRUE(deposit.transaction_id.is_zero());
  EXPECT_EQ(deposit.expected_version, std::nullopt);
  EXPECT_EQ(deposit.expected_counterparty_version, std::nullopt);
}

TEST(CliBatchLines, AmountsAreReadInTheCurrencyOfTheirAccount) {
  const PlannedBatch batch(
      "deposit yen 1000\n"
      "deposit dinar 1.5\n"
      "deposit alice 1.5\n"
      "transfer yen alice 100\n");  // a transfer: the paying account's currency
  ASSERT_EQ(batch.sent().size(), 4u);
  EXPECT_EQ(batch.sent()[0].amount, 1000);
  EXPECT_EQ(batch.sent()[1].amount, 1500);
  EXPECT_EQ(batch.sent()[2].amount, 150);
  EXPECT_EQ(batch.sent()[3].amount, 100);
  EXPECT_EQ(batch.planned()[0].decimal_places, 0u);
  EXPECT_EQ(batch.planned()[1].decimal_places, 3u);
  EXPECT_EQ(batch.planned()[2].decimal_places, 2u);
  EXPECT_EQ(batch.planned()[3].decimal_places, 0u);
  // Accounts the server knows are sent without a version to expect.
  EXPECT_EQ(batch.sent()[0].expected_version, std::nullopt);
}

TEST(CliBatchLines, AnAccountOpenedEarlierInTheBatchLendsItsCurrency) {
  const PlannedBatch batch(
      "open dave --owner Dave --currency JPY --initial-deposit 5\n"
      "deposit dave 7\n");
  EXPECT_EQ(batch.sent()[0].amount, 5);
  EXPECT_EQ(batch.sent()[1].amount, 7);
  EXPECT_EQ(batch.planned()[1].decimal_places, 0u);
  EXPECT_EQ(batch.sent()[1].expected_version, std::nullopt);
  EXPECT_EQ(batch_error("open dave --owner Dave --currency JPY\ndeposit dave 1.5\n"),
            "line 2: amount \"1.5\" has too many decimal places: JPY has 0 decimal places");
}

TEST(CliBatchLines, AnAccountNobodyKnowsIsSentExpectingVersionZero) {
  const PlannedBatch batch(
      "deposit nobody 1.25\n"
      "withdraw nobody 1 --expected-version 5\n");
  EXPECT_EQ(batch.sent()[0].amount, 125);  // two places assumed
  EXPECT_EQ(batch.sent()[0].expected_version, std::optional<uint64_t>(0));
  EXPECT_EQ(batch.sent()[1].expected_version, std::optional<uint64_t>(0));
  EXPECT_EQ(batch.planned()[0].decimal_places, kDefaultMinorUnits);
}

TEST(CliBatchLines, ACurrencyIsCheckedAgainstTheAccounts) {
  const PlannedBatch batch("deposit yen 15 --currency JPY\n");
  EXPECT_EQ(batch.sent()[0].amount, 15);
  EXPECT_EQ(batch_error("deposit yen 15 --currency EUR\n"),
            "line 1: --currency EUR is not the currency of account \"yen\", which is JPY (an "
            "account's currency is set when it is opened)");
  // With --currency the places are known before the server is asked.
  EXPECT_EQ(batch_error("deposit yen 1.5 --currency JPY\n", /*plan=*/false),
            "line 1: amount \"1.5\" has too many decimal places: JPY has 0 decimal places");
  EXPECT_EQ(batch_error("deposit alice 1 --currency EURO\n", /*plan=*/false),
            "line 1: --currency \"EURO\" is not an ISO 4217 code (three letters A-Z, e.g. EUR)");
  EXPECT_EQ(batch_error("open x --owner X --currency eur\n", /*plan=*/false),
            "line 1: --currency \"eur\" is not an ISO 4217 code (three letters A-Z, e.g. EUR)");
}

TEST(CliBatchLines, ABadLineIsReportedWithItsNumberBeforeAnythingIsPlanned) {
  EXPECT_EQ(batch_error("deposit alice 1\nbogus line\n", /*plan=*/false),
            "line 2: unknown command \"bogus\" (a batch line holds one of open, deposit, "
            "withdraw, transfer, freeze, unfreeze, close)");
  EXPECT_EQ(batch_error("stats\n", /*plan=*/false),
            "line 1: unknown command \"stats\" (a batch line holds one of open, deposit, "
            "withdraw, transfer, freeze, unfreeze, close)");
  EXPECT_EQ(batch_error("\n\ndeposit alice -1\n", /*plan=*/false),
            "line 3: amount \"-1\" is negative: amounts are positive (the command says which way "
            "the money moves)");
  EXPECT_EQ(batch_error("deposit alice 1e3\n", /*plan=*/false),
            "line 1: amount \"1e3\" is not a decimal amount like 12.50");
  EXPECT_EQ(batch_error("open carol --owner C --currency EUR --initial-deposit 1.001\n",
                        /*plan=*/false),
            "line 1: --initial-deposit \"1.001\" has too many decimal places: EUR has 2 decimal "
            "places");
  EXPECT_EQ(batch_error("deposit alice 1 --transaction-id 0\n", /*plan=*/false),
            "line 1: --transaction-id \"0\" is not 1 to 32 hex digits (and not zero)");
  EXPECT_EQ(batch_error("deposit alice 1\nopen 'carol --owner C\n", /*plan=*/false),
            "line 2: a ' quote is not closed");
  EXPECT_EQ(batch_error("deposit alice 1\\\n", /*plan=*/false),
            "line 1: a backslash ends the line");
}

TEST(CliBatchLines, FlagsAndArgumentsFollowTheSubcommandsSyntax) {
  // CLI11 words these; what matters is the line and that nothing is accepted.
  EXPECT_THAT(batch_error("deposit alice\n", false), StartsWith("line 1: "));
  EXPECT_THAT(batch_error("deposit alice\n", false), HasSubstr("amount"));
  EXPECT_THAT(batch_error("deposit alice 1 2\n", false), StartsWith("line 1: "));
  EXPECT_THAT(batch_error("deposit alice 1 --bogus\n", false), StartsWith("line 1: "));
  EXPECT_THAT(batch_error("deposit alice 1 --bogus\n", false), HasSubstr("--bogus"));
  EXPECT_THAT(batch_error("open carol --currency EUR\n", false), HasSubstr("--owner"));
  EXPECT_THAT(batch_error("open carol --owner C --currency EUR --type gold\n", false),
              HasSubstr("gold"));
  EXPECT_THAT(batch_error("freeze alice\n", false), HasSubstr("--reason"));
  EXPECT_THAT(batch_error("withdraw alice 1 --expected-version x\n", false),
              StartsWith("line 1: "));
  // --help means nothing on a batch line.
  EXPECT_THAT(batch_error("deposit alice 1 --help\n", false), StartsWith("line 1: "));
  EXPECT_THAT(batch_error("--json\n", false), StartsWith("line 1: unknown command \"--json\""));
}

TEST(CliBatchLines, ABatchWithoutACommandIsRefused) {
  EXPECT_EQ(batch_error("", false), "the batch holds no command");
  EXPECT_EQ(batch_error("# only a comment\n\n   \n", false), "the batch holds no command");
}

TEST(CliBatchLines, OnlyCommandsOtherThanOpeningsNeedTheServersCurrencies) {
  BatchPlanner openings;
  std::istringstream only_openings(
      "open a --owner A --currency EUR\nopen b --owner B --currency JPY\n");
  read_batch(only_openings, openings);
  EXPECT_EQ(openings.size(), 2u);
  EXPECT_FALSE(openings.needs_currencies());
  BatchPlanner mixed;
  std::istringstream with_a_deposit("open a --owner A --currency EUR\ndeposit a 1\n");
  read_batch(with_a_deposit, mixed);
  EXPECT_TRUE(mixed.needs_currencies());
}

TEST(CliBatchLines, ACommandFromTheCommandLineIsPlannedWithoutALinePrefix) {
  LedgerCommand command;
  command.kind = CommandKind::kDeposit;
  command.account_id = "yen";
  command.amount = "1.5";
  BatchPlanner planner;
  planner.add(command);  // the form is fine; the places are the account's, known later
  try {
    planner.plan(server_currency_of);
    ADD_FAILURE() << "planned an amount with too many places";
  } catch (const UsageError& error) {
    EXPECT_STREQ(error.what(),
                 "amount \"1.5\" has too many decimal places: JPY has 0 decimal places");
  }
}

TEST(CliBatchLines, TheCommandLineAndABatchLineShareOneSyntax) {
  CLI::App app("tally");
  app.require_subcommand(1);
  CommandSyntax syntax(app);
  std::vector<std::string> arguments = {"transfer",         "alice", "bob",        "2.50",
                                        "--transaction-id", "1f",    "--currency", "EUR"};
  std::reverse(arguments.begin(), arguments.end());  // CLI11 takes the arguments last first
  app.parse(arguments);
  const std::optional<LedgerCommand> command = syntax.parsed();
  ASSERT_TRUE(command.has_value());
  EXPECT_EQ(command->kind, CommandKind::kTransfer);
  EXPECT_EQ(command->account_id, "alice");
  EXPECT_EQ(command->to_account_id, "bob");
  EXPECT_EQ(command->amount, "2.50");
  EXPECT_EQ(command->transaction_id, "1f");
  EXPECT_EQ(command->currency, "EUR");
  EXPECT_TRUE(CommandSyntax::is_command_name("close"));
  EXPECT_FALSE(CommandSyntax::is_command_name("batch"));
  EXPECT_EQ(command_kind_name(CommandKind::kUnfreeze), "unfreeze");
}

}  // namespace
}  // namespace tally::cli
