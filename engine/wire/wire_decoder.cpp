#include "engine/wire/wire_decoder.h"

#include <string_view>

#include "engine/base/invariant.h"

namespace tally {
namespace {

std::string_view view_of(const flatbuffers::String* text) {
  return text == nullptr ? std::string_view() : std::string_view(text->data(), text->size());
}

std::optional<uint64_t> optional_of(flatbuffers::Optional<uint64_t> value) {
  return value.has_value() ? std::optional<uint64_t>(*value) : std::nullopt;
}

Command decode_open(const protocol::OpenAccount& open) {
  Command command;
  command.type = CommandType::OpenAccount;
  command.account_id = view_of(open.account_id());
  command.owner = view_of(open.owner());
  command.currency = view_of(open.currency());
  command.account_type = open.account_type();
  command.overdraft_limit = open.overdraft_limit();
  command.amount = open.initial_deposit();
  return command;
}

template <typename Movement>
Command decode_single_account_movement(CommandType type, const Movement& movement) {
  Command command;
  command.type = type;
  command.account_id = view_of(movement.account_id());
  command.amount = movement.amount();
  command.transaction_id = to_id128(movement.transaction_id());
  command.expected_version = optional_of(movement.expected_version());
  command.currency = view_of(movement.currency());
  command.transaction_text = view_of(movement.transaction_text());
  return command;
}

Command decode_transfer(const protocol::Transfer& transfer) {
  Command command;
  command.type = CommandType::Transfer;
  command.account_id = view_of(transfer.from_account_id());
  command.counterparty_id = view_of(transfer.to_account_id());
  command.amount = transfer.amount();
  command.transaction_id = to_id128(transfer.transaction_id());
  command.expected_version = optional_of(transfer.expected_from_version());
  command.expected_counterparty_version = optional_of(transfer.expected_to_version());
  command.currency = view_of(transfer.currency());
  command.transaction_text = view_of(transfer.transaction_text());
  return command;
}

template <typename StatusChange>
Command decode_status_change(CommandType type, const StatusChange& change) {
  Command command;
  command.type = type;
  command.account_id = view_of(change.account_id());
  command.expected_version = optional_of(change.expected_version());
  return command;
}

// A union's type and its table are separate fields, and the verifier accepts a type whose table
// is absent: about 100 bytes from any client reached the reads below through a null pointer and
// killed tallyd. Such an entry is a command whose union member is missing, which
// docs/protocol.md says is rejected like an unknown one: it is checked once, here, before any
// command_as_*() is dereferenced.
Command decode_entry(const protocol::CommandEntry* entry) {
  using protocol::Command;
  if (entry == nullptr || entry->command() == nullptr) {
    return tally::Command{};  // unknown type: the ledger rejects it with InvalidArgument
  }
  switch (entry->command_type()) {
    case Command::OpenAccount:
      return decode_open(*entry->command_as_OpenAccount());
    case Command::Deposit:
      return decode_single_account_movement(CommandType::Deposit, *entry->command_as_Deposit());
    case Command::Withdraw:
      return decode_single_account_movement(CommandType::Withdraw, *entry->command_as_Withdraw());
    case Command::Transfer:
      return decode_transfer(*entry->command_as_Transfer());
    case Command::FreezeAccount: {
      const auto& freeze = *entry->command_as_FreezeAccount();
      tally::Command command = decode_status_change(CommandType::FreezeAccount, freeze);
      command.reason = view_of(freeze.reason());
      return command;
    }
    case Command::UnfreezeAccount:
      return decode_status_change(CommandType::UnfreezeAccount,
                                  *entry->command_as_UnfreezeAccount());
    case Command::CloseAccount:
      return decode_status_change(CommandType::CloseAccount, *entry->command_as_CloseAccount());
    default:
      // Unknown or missing: kept as a command of unknown type, which the ledger rejects with
      // InvalidArgument (recorded, not dropped).
      return tally::Command{};
  }
}

}  // namespace

Id128 to_id128(const protocol::Uint128* value) {
  return value == nullptr ? Id128{} : Id128{.low = value->low(), .high = value->high()};
}

RequestVerdict verify_request(std::span<const uint8_t> frame, uint32_t commands_max) {
  // Every command is a few tables and strings; this bounds the verifier's work per frame.
  const uint32_t max_tables = 16 * commands_max + 16;
  flatbuffers::Verifier verifier(frame.data(), frame.size(), kVerifierDepthMax, max_tables);
  if (!protocol::VerifyRequestBuffer(verifier)) {
    return {ResultCode::InvalidArgument, "the frame is not a well-formed Request"};
  }
  const protocol::Request* request = protocol::GetRequest(frame.data());
  if (request->protocol_version() != static_cast<uint16_t>(protocol::ProtocolVersion::Current)) {
    return {ResultCode::InvalidArgument, "unsupported protocol version; this server speaks 1",
            request};
  }
  if (request->request_id() == nullptr) {
    return {ResultCode::InvalidArgument, "the request has no request_id", request};
  }
  return {ResultCode::Ok, {}, request};
}

RequestVerdict check_command_batch(const protocol::Request& request, uint32_t commands_max) {
  const protocol::CommandBatch* batch = request.body_as_CommandBatch();
  if (batch == nullptr) {
    return {ResultCode::InvalidArgument, "the request body is not a CommandBatch"};
  }
  if (batch->commands() == nullptr || batch->commands()->size() == 0) {
    return {ResultCode::InvalidArgument, "the batch has no commands"};
  }
  if (batch->commands()->size() > commands_max) {
    return {ResultCode::LimitExceeded, "the batch has more commands than max_batch_commands"};
  }
  return {};
}

ResultCode verify_command_request(std::span<const uint8_t> frame, uint32_t commands_max) {
  const RequestVerdict envelope = verify_request(frame, commands_max);
  if (!envelope.ok()) {
    return envelope.code;
  }
  return check_command_batch(*protocol::GetRequest(frame.data()), commands_max).code;
}

CommandBatch decode_command_request(std::span<const uint8_t> frame,
                                    std::vector<Command>& commands) {
  const protocol::Request* request = protocol::GetRequest(frame.data());
  const protocol::CommandBatch* batch = request->body_as_CommandBatch();
  TALLY_ASSERT(batch != nullptr);
  commands.clear();
  for (const protocol::CommandEntry* entry : *batch->commands()) {
    commands.push_back(decode_entry(entry));
  }
  return CommandBatch{.request_id = to_id128(request->request_id()),
                      .origin = 0,
                      .atomic = batch->atomic(),
                      .commands = commands};
}

}  // namespace tally
