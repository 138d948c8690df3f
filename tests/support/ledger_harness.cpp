#include "support/ledger_harness.h"

#include <algorithm>

namespace tally::testing {

Command open_command(std::string_view account_id, std::string_view currency,
                     int64_t initial_deposit, int64_t overdraft_limit, std::string_view owner) {
  Command command;
  command.type = CommandType::OpenAccount;
  command.account_id = account_id;
  command.currency = currency;
  command.amount = initial_deposit;
  command.overdraft_limit = overdraft_limit;
  command.owner = owner;
  return command;
}

Command deposit_command(std::string_view account_id, int64_t amount) {
  Command command;
  command.type = CommandType::Deposit;
  command.account_id = account_id;
  command.amount = amount;
  return command;
}

Command withdraw_command(std::string_view account_id, int64_t amount) {
  Command command = deposit_command(account_id, amount);
  command.type = CommandType::Withdraw;
  return command;
}

Command transfer_command(std::string_view from_account_id, std::string_view to_account_id,
                         int64_t amount) {
  Command command;
  command.type = CommandType::Transfer;
  command.account_id = from_account_id;
  command.counterparty_id = to_account_id;
  command.amount = amount;
  return command;
}

Command freeze_command(std::string_view account_id, std::string_view reason) {
  Command command;
  command.type = CommandType::FreezeAccount;
  command.account_id = account_id;
  command.reason = reason;
  return command;
}

Command unfreeze_command(std::string_view account_id) {
  Command command;
  command.type = CommandType::UnfreezeAccount;
  command.account_id = account_id;
  return command;
}

Command close_command(std::string_view account_id) {
  Command command;
  command.type = CommandType::CloseAccount;
  command.account_id = account_id;
  return command;
}

LedgerHarness::LedgerHarness(const LedgerLimits& limits) : ledger_(limits) {}

std::vector<AccountImage> image_of(const Ledger& ledger) {
  std::vector<AccountImage> image;
  ledger.accounts().for_each([&](std::string_view id, const Account& account) {
    image.push_back({.id = std::string(id),
                     .balance = account.balance,
                     .version = account.version,
                     .status = account.status,
                     .currency = account.currency.packed(),
                     .overdraft_limit = account.overdraft_limit});
  });
  std::sort(image.begin(), image.end(),
            [](const AccountImage& left, const AccountImage& right) { return left.id < right.id; });
  return image;
}

std::vector<Outcome> make_deposit_events(int count) {
  LedgerHarness harness;
  std::vector<Outcome> events = {harness.apply_one(open_command("acc-0000001", "EUR", 0))};
  for (int index = 1; index < count; ++index) {
    events.push_back(harness.apply_one(deposit_command("acc-0000001", index)));
  }
  return events;
}

std::vector<Outcome> LedgerHarness::apply(std::span<const Command> commands, bool atomic) {
  const Id128 request_id{.low = next_request_++, .high = 0x7e57};
  return apply_with_id(request_id, commands, atomic);
}

std::vector<Outcome> LedgerHarness::apply_with_id(const Id128& request_id,
                                                  std::span<const Command> commands, bool atomic) {
  std::vector<Outcome> events(commands.size());
  const CommandBatch batch{
      .request_id = request_id, .origin = 42, .atomic = atomic, .commands = commands};
  const OutcomeSlots slots{.slots = events.data(),
                           .mask = ~uint64_t{0},
                           .first = 0,
                           .count = static_cast<uint32_t>(commands.size())};
  ledger_.apply(batch, now_ns, slots);
  now_ns += 1000;
  return events;
}

Outcome LedgerHarness::apply_one(const Command& command) {
  return apply(std::span<const Command>(&command, 1)).front();
}

const Account* LedgerHarness::find(std::string_view account_id) const {
  const AccountRef ref = ledger_.accounts().find(account_id);
  return ref == kNoAccount ? nullptr : &ledger_.accounts().at(ref);
}

}  // namespace tally::testing
