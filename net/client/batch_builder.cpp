#include "net/client/batch_builder.h"

#include "engine/base/id_text.h"

#include "engine/wire/wire_encoder.h"
#include "net/protocol/frame.h"

namespace tally::client {

std::string_view BatchBuilder::keep(std::string_view text) {
  return text.empty() ? std::string_view() : std::string_view(strings_.emplace_back(text));
}

Command& BatchBuilder::add(CommandType type, std::string_view account_id,
                           const CommandOptions& options) {
  Command& command = commands_.emplace_back();
  command.type = type;
  command.account_id = keep(account_id);
  command.transaction_id = options.transaction_id;
  command.expected_version = options.expected_version;
  command.expected_counterparty_version = options.expected_counterparty_version;
  return command;
}

void BatchBuilder::add_movement_options(Command& command, const CommandOptions& options) {
  command.currency = keep(options.currency);
  if (options.transaction_text.empty()) {
    return;
  }
  command.transaction_text = keep(options.transaction_text);
  if (command.transaction_id.is_zero()) {
    command.transaction_id = id_of_text(options.transaction_text);
  }
}

BatchBuilder& BatchBuilder::open_account(std::string_view account_id, std::string_view owner,
                                         std::string_view currency, AccountType type,
                                         int64_t overdraft_limit, int64_t initial_deposit) {
  Command& command = add(CommandType::OpenAccount, account_id, {});
  command.owner = keep(owner);
  command.currency = keep(currency);
  command.account_type = type;
  command.overdraft_limit = overdraft_limit;
  command.amount = initial_deposit;
  return *this;
}

BatchBuilder& BatchBuilder::deposit(std::string_view account_id, int64_t amount,
                                    const CommandOptions& options) {
  Command& command = add(CommandType::Deposit, account_id, options);
  command.amount = amount;
  add_movement_options(command, options);
  return *this;
}

BatchBuilder& BatchBuilder::withdraw(std::string_view account_id, int64_t amount,
                                     const CommandOptions& options) {
  Command& command = add(CommandType::Withdraw, account_id, options);
  command.amount = amount;
  add_movement_options(command, options);
  return *this;
}

BatchBuilder& BatchBuilder::transfer(std::string_view from_account_id,
                                     std::string_view to_account_id, int64_t amount,
                                     const CommandOptions& options) {
  Command& command = add(CommandType::Transfer, from_account_id, options);
  command.counterparty_id = keep(to_account_id);
  command.amount = amount;
  add_movement_options(command, options);
  return *this;
}

BatchBuilder& BatchBuilder::freeze(std::string_view account_id, std::string_view reason,
                                   const CommandOptions& options) {
  add(CommandType::FreezeAccount, account_id, options).reason = keep(reason);
  return *this;
}

BatchBuilder& BatchBuilder::unfreeze(std::string_view account_id, const CommandOptions& options) {
  add(CommandType::UnfreezeAccount, account_id, options);
  return *this;
}

BatchBuilder& BatchBuilder::close(std::string_view account_id, const CommandOptions& options) {
  add(CommandType::CloseAccount, account_id, options);
  return *this;
}

BatchBuilder& BatchBuilder::atomic(bool value) {
  atomic_ = value;
  return *this;
}

void BatchBuilder::clear() {
  strings_.clear();
  commands_.clear();
  atomic_ = false;
}

void BatchBuilder::encode(const Id128& request_id, std::vector<uint8_t>& out) const {
  thread_local flatbuffers::FlatBufferBuilder builder(1024);
  encode_command_request(
      CommandBatch{.request_id = request_id, .origin = 0, .atomic = atomic_, .commands = commands_},
      builder);
  net::append_frame(out, {builder.GetBufferPointer(), builder.GetSize()});
}

}  // namespace tally::client
