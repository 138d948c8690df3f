#include "engine/wire/wire_encoder.h"

#include <vector>

namespace tally {
namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

Offset<flatbuffers::String> string_of(FlatBufferBuilder& builder, std::string_view text) {
  return text.empty() ? Offset<flatbuffers::String>() : builder.CreateString(text);
}

flatbuffers::Optional<uint64_t> optional_of(const std::optional<uint64_t>& value) {
  return value ? flatbuffers::Optional<uint64_t>(*value) : flatbuffers::nullopt;
}

// Returns (union type, union value) for one command.
std::pair<protocol::Command, Offset<void>> encode_command(FlatBufferBuilder& builder,
                                                          const Command& command) {
  const protocol::Uint128 transaction = to_wire(command.transaction_id);
  const protocol::Uint128* transaction_id =
      command.transaction_id.is_zero() ? nullptr : &transaction;
  const auto account_id = string_of(builder, command.account_id);
  switch (command.type) {
    case CommandType::OpenAccount:
      return {protocol::Command::OpenAccount,
              protocol::CreateOpenAccount(
                  builder, account_id, string_of(builder, command.owner), command.account_type,
                  string_of(builder, command.currency), command.overdraft_limit, command.amount)
                  .Union()};
    case CommandType::Deposit:
      return {protocol::Command::Deposit,
              protocol::CreateDeposit(builder, account_id, command.amount, transaction_id,
                                      optional_of(command.expected_version),
                                      string_of(builder, command.currency),
                                      string_of(builder, command.transaction_text))
                  .Union()};
    case CommandType::Withdraw:
      return {protocol::Command::Withdraw,
              protocol::CreateWithdraw(builder, account_id, command.amount, transaction_id,
                                       optional_of(command.expected_version),
                                       string_of(builder, command.currency),
                                       string_of(builder, command.transaction_text))
                  .Union()};
    case CommandType::Transfer: {
      const auto counterparty_id = string_of(builder, command.counterparty_id);
      return {protocol::Command::Transfer,
              protocol::CreateTransfer(builder, account_id, counterparty_id, command.amount,
                                       transaction_id, optional_of(command.expected_version),
                                       optional_of(command.expected_counterparty_version),
                                       string_of(builder, command.currency),
                                       string_of(builder, command.transaction_text))
                  .Union()};
    }
    case CommandType::FreezeAccount:
      return {protocol::Command::FreezeAccount,
              protocol::CreateFreezeAccount(builder, account_id, string_of(builder, command.reason),
                                            optional_of(command.expected_version))
                  .Union()};
    case CommandType::UnfreezeAccount:
      return {protocol::Command::UnfreezeAccount,
              protocol::CreateUnfreezeAccount(builder, account_id,
                                              optional_of(command.expected_version))
                  .Union()};
    case CommandType::CloseAccount:
      return {
          protocol::Command::CloseAccount,
          protocol::CreateCloseAccount(builder, account_id, optional_of(command.expected_version))
              .Union()};
    default:
      return {protocol::Command::NONE, Offset<void>()};
  }
}

}  // namespace

protocol::Uint128 to_wire(const Id128& id) {
  return protocol::Uint128(id.low, id.high);
}

void encode_command_request(const CommandBatch& batch, FlatBufferBuilder& builder) {
  builder.Clear();
  std::vector<Offset<protocol::CommandEntry>> entries;
  entries.reserve(batch.commands.size());
  for (const Command& command : batch.commands) {
    const auto [type, value] = encode_command(builder, command);
    entries.push_back(protocol::CreateCommandEntry(builder, type, value));
  }
  const auto commands =
      protocol::CreateCommandBatch(builder, batch.atomic, builder.CreateVector(entries));
  const protocol::Uint128 request_id = to_wire(batch.request_id);
  const auto request = protocol::CreateRequest(
      builder, static_cast<uint16_t>(protocol::ProtocolVersion::Current), &request_id, 0,
      protocol::RequestBody::CommandBatch, commands.Union());
  protocol::FinishRequestBuffer(builder, request);
}

flatbuffers::Offset<protocol::Event> encode_event(const Outcome& event,
                                                  flatbuffers::FlatBufferBuilder& builder) {
  const auto account_id = string_of(builder, event.account_id.view());
  const auto counterparty_id = string_of(builder, event.counterparty_id.view());
  // Outcome::text is the owner of an opening, the reason of a freeze or a money movement's
  // transaction text, tried or done: each goes to its own field.
  const bool text_is_owner = event.command_type == CommandType::OpenAccount;
  const auto owner = text_is_owner ? string_of(builder, event.owner_or_reason())
                                   : flatbuffers::Offset<flatbuffers::String>();
  const auto text = text_is_owner ? flatbuffers::Offset<flatbuffers::String>()
                                  : string_of(builder, event.owner_or_reason());
  const auto transaction_text = string_of(builder, event.transaction_text());
  const auto currency = event.currency.is_set() ? builder.CreateString(event.currency.to_string())
                                                : flatbuffers::Offset<flatbuffers::String>();
  const protocol::Uint128 request_id = to_wire(event.request_id);
  const protocol::Uint128 transaction_id = to_wire(event.transaction_id);
  protocol::EventBuilder wire(builder);
  wire.add_sequence(event.sequence);
  wire.add_timestamp_ns(event.timestamp_ns);
  wire.add_type(event.type);
  wire.add_request_id(&request_id);
  wire.add_command_index(event.command_index);
  wire.add_command_type(event.command_type);
  if (event.type == EventType::CommandRejected) {
    wire.add_reason(event.code);
  }
  wire.add_account_id(account_id);
  wire.add_counterparty_id(counterparty_id);
  wire.add_amount(event.amount);
  wire.add_balance(event.balance);
  wire.add_version(event.version);
  wire.add_counterparty_balance(event.counterparty_balance);
  wire.add_counterparty_version(event.counterparty_version);
  if ((event.flags & kHasTransactionId) != 0) {
    wire.add_transaction_id(&transaction_id);
  }
  wire.add_owner(owner);
  wire.add_account_type(event.account_type);
  wire.add_currency(currency);
  wire.add_overdraft_limit(event.overdraft_limit);
  wire.add_text(text);
  wire.add_transaction_text(transaction_text);
  return wire.Finish();
}

}  // namespace tally
