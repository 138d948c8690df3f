// DataDirectoryLock: one server per data directory. tallyd holds an exclusive advisory lock
// (flock) on "<data directory>/LOCK" for its whole life; the kernel releases it when the
// process ends, however it ends, so a crash never leaves a stale lock behind. The file also
// says which process holds it, for the message a second server prints. Offline tools take the
// lock shared: they may read beside each other, never beside a server without knowing it.
//
// One owner; the lock is released when the object is destroyed.
#pragma once

#include <string>
#include <string_view>

#include "engine/base/status.h"

namespace tally::journal {

inline constexpr std::string_view kLockFileName = "LOCK";

enum class LockMode : uint8_t { kExclusive, kShared };

class DataDirectoryLock {
 public:
  DataDirectoryLock() = default;
  DataDirectoryLock(const DataDirectoryLock&) = delete;
  DataDirectoryLock& operator=(const DataDirectoryLock&) = delete;
  ~DataDirectoryLock();

  // Takes the lock without waiting. kAlreadyExists if another process holds it (the message
  // names the holder's pid when the file says it); kNotFound if a shared lock finds no lock
  // file (then no server ever held the directory); another code for a system error.
  Status acquire(const std::string& data_directory, LockMode mode);
  bool held() const { return descriptor_ >= 0; }

 private:
  int descriptor_ = -1;
};

}  // namespace tally::journal
