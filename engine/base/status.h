// Status: the outcome of an operation that can fail for reasons outside the program (files,
// disks, sockets), LevelDB-style: cheap when ok, a code plus a message when not. Business
// rejections are not Statuses: they are ResultCodes recorded as events.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace tally {

enum class StatusCode : uint8_t {
  kOk,
  kIoError,         // the system refused (EIO and most errnos)
  kNoSpace,         // ENOSPC, EDQUOT
  kNotFound,        // ENOENT
  kAlreadyExists,   // EEXIST
  kCorruption,      // data is not what it claims to be
  kInvalidArgument  // the caller asked for something impossible
};

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }
  static Status corruption(std::string message) {
    return {StatusCode::kCorruption, std::move(message)};
  }
  static Status invalid_argument(std::string message) {
    return {StatusCode::kInvalidArgument, std::move(message)};
  }
  // `what` and `path` say what was being done, e.g. ("fallocate", "journal/000001.seg").
  static Status from_errno(int error_number, std::string_view what, std::string_view path);

  // The same failure with where it happened in front ("journal/000002.seg offset 4096: ..."),
  // so a message names the file, offset, sequence or account it is about. Ok stays ok.
  Status with_context(std::string_view context) const;

  bool is_ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

}  // namespace tally
