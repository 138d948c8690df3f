#include "engine/base/status.h"

#include <cerrno>
#include <cstring>

namespace tally {

Status Status::from_errno(int error_number, std::string_view what, std::string_view path) {
  StatusCode code = StatusCode::kIoError;
  if (error_number == ENOSPC || error_number == EDQUOT) {
    code = StatusCode::kNoSpace;
  } else if (error_number == ENOENT) {
    code = StatusCode::kNotFound;
  } else if (error_number == EEXIST) {
    code = StatusCode::kAlreadyExists;
  }
  std::string message(what);
  message += " ";
  message += path;
  message += ": ";
  message += std::strerror(error_number);
  return {code, std::move(message)};
}

Status Status::with_context(std::string_view context) const {
  if (is_ok())
    return *this;
  std::string message(context);
  message += ": ";
  message += message_;
  return {code_, std::move(message)};
}

}  // namespace tally
