#include "engine/journal/data_directory_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace tally::journal {
namespace {

// What the lock file says of its holder ("pid 1234"), or "" if it says nothing readable.
std::string holder_of(int descriptor) {
  char text[32] = {};
  const ssize_t bytes = ::pread(descriptor, text, sizeof(text) - 1, 0);
  if (bytes <= 0) {
    return {};
  }
  std::string holder(text, static_cast<size_t>(bytes));
  while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0')) {
    holder.pop_back();
  }
  return holder;
}

}  // namespace

DataDirectoryLock::~DataDirectoryLock() {
  if (descriptor_ >= 0) {
    ::close(descriptor_);  // releases the lock
  }
}

Status DataDirectoryLock::acquire(const std::string& data_directory, LockMode mode) {
  const std::string path = data_directory + "/" + std::string(kLockFileName);
  // A reader creates nothing: no lock file means no server ever held the directory.
  const int descriptor = mode == LockMode::kExclusive
                             ? ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)
                             : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor < 0) {
    return Status::from_errno(errno, "open", path);
  }
  const int operation = (mode == LockMode::kExclusive ? LOCK_EX : LOCK_SH) | LOCK_NB;
  if (::flock(descriptor, operation) != 0) {
    const int error = errno;
    std::string holder = error == EWOULDBLOCK ? holder_of(descriptor) : std::string();
    ::close(descriptor);
    if (error != EWOULDBLOCK) {
      return Status::from_errno(error, "flock", path);
    }
    return {StatusCode::kAlreadyExists,
            data_directory + " is in use by another process (" + path + " is locked" +
                (holder.empty() ? std::string() : "; it names " + holder) + ")"};
  }
  if (mode == LockMode::kExclusive) {
    const std::string holder = "tallyd pid " + std::to_string(::getpid()) + "\n";
    if (::ftruncate(descriptor, 0) != 0 ||
        ::pwrite(descriptor, holder.data(), holder.size(), 0) !=
            static_cast<ssize_t>(holder.size())) {
      const int error = errno;
      ::close(descriptor);
      return Status::from_errno(error, "write", path);
    }
  }
  descriptor_ = descriptor;
  return Status::ok();
}

}  // namespace tally::journal
