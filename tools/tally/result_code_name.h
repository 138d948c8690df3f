// Result codes by name for people and scripts ("InsufficientFunds"). The names are the
// schema's (protocol::EnumNameResultCode, as tally::result_code_name in engine/wire/protocol.h),
// but a code newer than this build, from a newer server, must still print as something.
#pragma once

#include <string>

#include "engine/wire/protocol.h"

namespace tally::cli {

// The schema's name of `code`, or "Code<number>" for a code this build does not know.
std::string result_code_name(ResultCode code);

}  // namespace tally::cli
