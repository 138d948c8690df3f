// The engine's view of the wire protocol: the FlatBuffers code generated from
// engine/wire/schema/tally.fbs, and the protocol enums the engine uses as its own vocabulary
// (result codes, event and command types). One definition of each number, in the schema.
#pragma once

#include "tally_generated.h"

namespace tally {

using protocol::AccountStatus;
using protocol::AccountType;
using protocol::CommandType;
using protocol::EventType;
using protocol::ResultCode;

inline const char* result_code_name(ResultCode code) {
  return protocol::EnumNameResultCode(code);
}

inline bool is_ok(ResultCode code) {
  return code == ResultCode::Ok;
}

}  // namespace tally
