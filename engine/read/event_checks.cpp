#include "engine/read/event_checks.h"

#include <string>

#include "engine/wire/protocol.h"

namespace tally::read {
namespace {

// "event 42 (Deposited)": the words every refusal starts with. (Built by appending: GCC 12
// warns falsely about a string literal plus a std::string.)
std::string event_words(const Outcome& event) {
  std::string words = "event ";
  words += std::to_string(event.sequence);
  words += " (";
  const char* name = protocol::EnumNameEventType(event.type);
  if (*name == '\0') {
    words += "type ";
    words += std::to_string(static_cast<int>(event.type));
  } else {
    words += name;
  }
  words += ")";
  return words;
}

std::string quoted(std::string_view account_id) {
  std::string text = "'";
  text += account_id;
  text += "'";
  return text;
}

}  // namespace

Status never_opened(const Outcome& event, std::string_view account_id) {
  return Status::corruption(event_words(event) + " names account " + quoted(account_id) +
                            ", which was never opened");
}

Status opened_twice(const Outcome& event) {
  return Status::corruption(event_words(event) + " opens account " +
                            quoted(event.account_id.view()) + ", which is open already");
}

Status unknown_event_type(const Outcome& event) {
  return Status::corruption(event_words(event) + " is of no type a read model knows");
}

Status opening_does_not_add_up(const Outcome& event) {
  return Status::corruption(event_words(event) + " opens " + quoted(event.account_id.view()) +
                            " with balance " + std::to_string(event.balance) + " at version " +
                            std::to_string(event.version) + " from a deposit of " +
                            std::to_string(event.amount) +
                            " (expected the deposit as its balance, at version 1)");
}

Status change_does_not_follow(const Outcome& event, Side side, const AccountState& before) {
  const bool account = side == Side::kAccount;
  const std::string_view account_id =
      account ? event.account_id.view() : event.counterparty_id.view();
  return Status::corruption(
      event_words(event) + " leaves " + quoted(account_id) + " at balance " +
      std::to_string(account ? event.balance : event.counterparty_balance) + " version " +
      std::to_string(account ? event.version : event.counterparty_version) + " from balance " +
      std::to_string(before.balance) + " version " + std::to_string(before.version) +
      " and an amount of " + std::to_string(event.amount));
}

Status transfer_does_not_fit(const Outcome& event, bool two_accounts, CurrencyCode source,
                             CurrencyCode destination) {
  if (!two_accounts) {
    return Status::corruption(event_words(event) + " transfers from " +
                              quoted(event.account_id.view()) + " to itself");
  }
  return Status::corruption(event_words(event) + " transfers from " + source.to_string() +
                            " account " + quoted(event.account_id.view()) + " to " +
                            destination.to_string() + " account " +
                            quoted(event.counterparty_id.view()));
}

}  // namespace tally::read
