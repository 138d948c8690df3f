// The engine's view of the wire protocol: the FlatBuffers code generated from
// engine/wire/schema/tally.fbs, and the protocol enums the engine uses as its own vocabulary
// (result codes, event and command types). One definition of each number, in the schema.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tally_generated.h"

namespace tally {

using protocol::AccountStatus;
using protocol::AccountType;
using protocol::CommandType;
using protocol::EventType;
using protocol::ResultCode;

// The schema's name of `code` ("InsufficientFunds"), or "" for a code this build does not know
// (a newer peer's). A static string, so it goes into printf and messages as it is.
inline const char* result_code_name(ResultCode code) {
  return protocol::EnumNameResultCode(code);
}

// How the tools print a code: its name, or "Code<number>" for one this build does not know,
// so that an answer from a newer server still says which code it was.
inline std::string result_code_text(ResultCode code) {
  const char* name = result_code_name(code);
  return *name != '\0' ? std::string(name) : "Code" + std::to_string(static_cast<unsigned>(code));
}

// The event type the schema names `name` ("Deposited"), or nothing for any other text (and for
// "Unknown", which no event has): how filters given as text are read.
inline std::optional<EventType> event_type_named(std::string_view name) {
  for (const EventType type : protocol::EnumValuesEventType()) {
    if (type != EventType::Unknown && name == protocol::EnumNameEventType(type)) {
      return type;
    }
  }
  return std::nullopt;
}

inline bool is_ok(ResultCode code) {
  return code == ResultCode::Ok;
}

// Deposits, withdrawals and transfers: the commands that move money and may carry a business
// transaction id (and its text).
inline bool moves_money(CommandType type) {
  return type == CommandType::Deposit || type == CommandType::Withdraw ||
         type == CommandType::Transfer;
}

}  // namespace tally
