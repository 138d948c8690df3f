#include "engine/journal/posix_storage.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace tally::journal {
namespace {

// Closes a descriptor when it leaves scope.
class Descriptor {
 public:
  explicit Descriptor(int descriptor) : descriptor_(descriptor) {}
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() {
    if (descriptor_ >= 0) {
      ::close(descriptor_);
    }
  }
  int get() const { return descriptor_; }

 private:
  int descriptor_;
};

Status write_all(int descriptor, std::span<const uint8_t> bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(descriptor, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Status::from_errno(errno, "write", path);
    }
    bytes = bytes.subspan(static_cast<size_t>(written));
  }
  return Status::ok();
}

}  // namespace

Status PosixStorage::create_file(const std::string& path, uint64_t bytes) {
  Descriptor file(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (file.get() < 0) {
    return Status::from_errno(errno, "create", path);
  }
  // posix_fallocate returns the error number rather than setting errno.
  if (const int error = ::posix_fallocate(file.get(), 0, static_cast<off_t>(bytes)); error != 0) {
    ::unlink(path.c_str());
    return Status::from_errno(error, "fallocate", path);
  }
  if (::fdatasync(file.get()) != 0) {
    return Status::from_errno(errno, "fdatasync", path);
  }
  return Status::ok();
}

Status PosixStorage::map_file(const std::string& path, MappedFile& file) {
  Descriptor descriptor(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (descriptor.get() < 0) {
    return Status::from_errno(errno, "open", path);
  }
  struct stat status {};
  if (::fstat(descriptor.get(), &status) != 0) {
    return Status::from_errno(errno, "fstat", path);
  }
  const auto size = static_cast<size_t>(status.st_size);
  if (size == 0) {
    return {StatusCode::kInvalidArgument, "map " + path + ": the file is empty (0 bytes)"};
  }
  void* address = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor.get(), 0);
  if (address == MAP_FAILED) {
    return Status::from_errno(errno, "mmap", path);
  }
  // The mapping keeps the file open; the descriptor closes here, so a reader that keeps every
  // segment of a long journal mapped holds no descriptor per segment.
  file.path = path;
  file.bytes = {static_cast<uint8_t*>(address), size};
  return Status::ok();
}

Status PosixStorage::unmap_file(MappedFile& file) {
  Status status;
  if (!file.bytes.empty() && ::munmap(file.bytes.data(), file.bytes.size()) != 0) {
    status = Status::from_errno(errno, "munmap", file.path);
  }
  file = MappedFile{};
  return status;
}

Status PosixStorage::sync(const MappedFile& file, uint64_t offset, uint64_t bytes) {
  // msync wants a page-aligned start; syncing from the page that holds `offset` covers it.
  const auto page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t start = offset / page * page;
  const uint64_t end = std::min<uint64_t>(offset + bytes, file.bytes.size());
  if (end <= start) {
    return Status::ok();
  }
  if (::msync(file.bytes.data() + start, end - start, MS_SYNC) != 0) {
    return Status::from_errno(
        errno, "msync",
        file.path + " [" + std::to_string(start) + ", " + std::to_string(end) + ")");
  }
  return Status::ok();
}

Status PosixStorage::open_for_writing(const std::string& path, WritableFile& file) {
  const int descriptor = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (descriptor < 0) {
    return Status::from_errno(errno, "open", path);
  }
  struct stat status {};
  if (::fstat(descriptor, &status) != 0) {
    const int error = errno;
    ::close(descriptor);
    return Status::from_errno(error, "fstat", path);
  }
  file.path = path;
  file.descriptor = descriptor;
  file.bytes = static_cast<uint64_t>(status.st_size);
  return Status::ok();
}

Status PosixStorage::close_file(WritableFile& file) {
  Status status;
  if (file.descriptor >= 0 && ::close(file.descriptor) != 0) {
    status = Status::from_errno(errno, "close", file.path);
  }
  file = WritableFile{};
  return status;
}

Status PosixStorage::write(const WritableFile& file, uint64_t offset,
                           std::span<const uint8_t> bytes) {
  // Never past the end: the file's size is fixed, so a sync never has an allocation to commit.
  if (offset > file.bytes || bytes.size() > file.bytes - offset) {
    return {StatusCode::kInvalidArgument, "write " + file.path + ": [" + std::to_string(offset) +
                                              ", +" + std::to_string(bytes.size()) +
                                              ") is outside the file"};
  }
  while (!bytes.empty()) {
    const ssize_t written =
        ::pwrite(file.descriptor, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Status::from_errno(errno, "pwrite", file.path + " at " + std::to_string(offset));
    }
    bytes = bytes.subspan(static_cast<size_t>(written));
    offset += static_cast<uint64_t>(written);
  }
  return Status::ok();
}

Status PosixStorage::sync(const WritableFile& file) {
  if (::fdatasync(file.descriptor) != 0) {
    return Status::from_errno(errno, "fdatasync", file.path);
  }
  return Status::ok();
}

Status PosixStorage::write_file(const std::string& path, std::span<const uint8_t> bytes) {
  Descriptor file(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (file.get() < 0) {
    return Status::from_errno(errno, "create", path);
  }
  if (Status status = write_all(file.get(), bytes, path); !status.is_ok()) {
    return status;
  }
  if (::fsync(file.get()) != 0) {
    return Status::from_errno(errno, "fsync", path);
  }
  return Status::ok();
}

Status PosixStorage::read_file(const std::string& path, std::vector<uint8_t>& bytes) {
  Descriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) {
    return Status::from_errno(errno, "open", path);
  }
  struct stat status {};
  if (::fstat(file.get(), &status) != 0) {
    return Status::from_errno(errno, "fstat", path);
  }
  // Sized once and read in place: snapshots run to hundreds of megabytes.
  bytes.resize(static_cast<size_t>(status.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t read = ::read(file.get(), bytes.data() + done, bytes.size() - done);
    if (read < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Status::from_errno(errno, "read", path);
    }
    if (read == 0) {
      bytes.resize(done);  // the file shrank while we read it
      break;
    }
    done += static_cast<size_t>(read);
  }
  return Status::ok();
}

Status PosixStorage::rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return Status::from_errno(errno, "rename", from + " -> " + to);
  }
  return Status::ok();
}

Status PosixStorage::remove(const std::string& path) {
  if (::unlink(path.c_str()) != 0) {
    return Status::from_errno(errno, "unlink", path);
  }
  return Status::ok();
}

Status PosixStorage::sync_directory(const std::string& directory) {
  Descriptor handle(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (handle.get() < 0) {
    return Status::from_errno(errno, "open directory", directory);
  }
  if (::fsync(handle.get()) != 0) {
    return Status::from_errno(errno, "fsync directory", directory);
  }
  return Status::ok();
}

Status PosixStorage::list_directory(const std::string& directory, std::vector<std::string>& names) {
  DIR* handle = ::opendir(directory.c_str());
  if (handle == nullptr) {
    return Status::from_errno(errno, "opendir", directory);
  }
  names.clear();
  while (const dirent* entry = ::readdir(handle)) {
    bool regular = entry->d_type == DT_REG;
    if (entry->d_type == DT_UNKNOWN) {  // some file systems do not say: ask
      struct stat status {};
      regular =
          ::fstatat(::dirfd(handle), entry->d_name, &status, 0) == 0 && S_ISREG(status.st_mode);
    }
    if (regular) {
      names.emplace_back(entry->d_name);
    }
  }
  ::closedir(handle);
  std::sort(names.begin(), names.end());
  return Status::ok();
}

}  // namespace tally::journal
