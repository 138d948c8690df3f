// Result<T>: a value, or the Status that says why there is none. The one way a function that
// produces something reports a failure outside the hot path (C++23's std::expected, which C++20
// lacks); functions that only succeed or fail return a Status. Business rejections are neither:
// they are ResultCodes recorded as events.
//
// A Result made from a Status must carry a failure (asserted), so `is_ok()` always means a value
// is there; reading the value of a failed Result stops the process.
#pragma once

#include <optional>
#include <utility>

#include "engine/base/invariant.h"
#include "engine/base/status.h"

namespace tally {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}           // NOLINT: implicit, as std::expected's
  Result(Status failure) : status_(std::move(failure)) {  // NOLINT: implicit, likewise
    TALLY_ASSERT(!status_.is_ok());
  }

  bool is_ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }  // ok when a value is there

  T& value() & {
    TALLY_ASSERT(is_ok());
    return *value_;
  }
  const T& value() const& {
    TALLY_ASSERT(is_ok());
    return *value_;
  }
  T&& value() && {
    TALLY_ASSERT(is_ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace tally
