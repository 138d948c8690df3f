#include "tools/tally/result_code_name.h"

namespace tally::cli {

std::string result_code_name(ResultCode code) {
  const std::string name = protocol::EnumNameResultCode(code);
  return name.empty() ? "Code" + std::to_string(static_cast<unsigned>(code)) : name;
}

}  // namespace tally::cli
