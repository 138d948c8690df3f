#include "support/event_script.h"

namespace tally::testing {

void EventScript::open(std::string_view id, std::string_view currency, int64_t deposit,
                       std::string_view owner, int64_t overdraft_limit) {
  Outcome event = next(EventType::AccountOpened, CommandType::OpenAccount, id);
  event.amount = deposit;
  event.currency = *CurrencyCode::parse(currency);
  event.overdraft_limit = overdraft_limit;
  event.account_type = account_type;
  event.text.assign(owner);
  state_[std::string(id)] = {deposit, 1};
  emit(event, id);
}

void EventScript::deposit(std::string_view id, int64_t amount, Id128 transaction_id,
                          std::string_view transaction_text) {
  Outcome event = next(EventType::Deposited, CommandType::Deposit, id);
  event.amount = amount;
  if (!transaction_id.is_zero()) {
    event.transaction_id = transaction_id;
    event.flags |= kHasTransactionId;
    event.text.assign(transaction_text);
  }
  state_.at(std::string(id)).first += amount;
  change(event, id);
}

void EventScript::withdraw(std::string_view id, int64_t amount) {
  Outcome event = next(EventType::Withdrawn, CommandType::Withdraw, id);
  event.amount = amount;
  state_.at(std::string(id)).first -= amount;
  change(event, id);
}

void EventScript::transfer(std::string_view from, std::string_view to, int64_t amount) {
  Outcome event = next(EventType::Transferred, CommandType::Transfer, from);
  event.counterparty_id.assign(to);
  event.amount = amount;
  auto& destination = state_.at(std::string(to));
  destination.first += amount;
  ++destination.second;
  event.counterparty_balance = destination.first;
  event.counterparty_version = destination.second;
  state_.at(std::string(from)).first -= amount;
  change(event, from);
}

void EventScript::freeze(std::string_view id, std::string_view reason) {
  Outcome event = next(EventType::AccountFrozen, CommandType::FreezeAccount, id);
  event.text.assign(reason);
  change(event, id);
}

void EventScript::unfreeze(std::string_view id) {
  Outcome event = next(EventType::AccountUnfrozen, CommandType::UnfreezeAccount, id);
  change(event, id);
}

void EventScript::close(std::string_view id) {
  Outcome event = next(EventType::AccountClosed, CommandType::CloseAccount, id);
  change(event, id);
}

void EventScript::reject(std::string_view id, CommandType command, ResultCode reason,
                         int64_t amount) {
  Outcome event = next(EventType::CommandRejected, command, id);
  event.code = reason;
  event.amount = amount;
  if (const auto found = state_.find(std::string(id)); found != state_.end()) {
    event.balance = found->second.first;
    event.version = found->second.second;
  }
  record(event);
}

Outcome EventScript::next(EventType type, CommandType command, std::string_view id) {
  Outcome event;
  event.sequence = ++sequence_;
  event.timestamp_ns = now_ns;
  event.request_id = {sequence_, 0};
  event.type = type;
  event.command_type = command;
  event.flags = kLastInRequest;
  event.account_id.assign(id);
  return event;
}

void EventScript::change(Outcome& event, std::string_view id) {
  ++state_.at(std::string(id)).second;
  emit(event, id);
}

void EventScript::emit(Outcome& event, std::string_view id) {
  event.balance = state_.at(std::string(id)).first;
  event.version = state_.at(std::string(id)).second;
  record(event);
}

void EventScript::record(const Outcome& event) {
  events.push_back(event);
  if (listener_) {
    listener_(events.back());
  }
}

}  // namespace tally::testing
