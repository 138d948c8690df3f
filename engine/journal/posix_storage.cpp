#include "engine/journal/posix_storage.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "engine/base/result.h"

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
  void reset(int descriptor) {
    if (descriptor_ >= 0) {
      ::close(descriptor_);
    }
    descriptor_ = descriptor;
  }

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

Status write_all_at(int descriptor, uint64_t offset, std::span<const uint8_t> bytes,
                    const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t written =
        ::pwrite(descriptor, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Status::from_errno(errno, "pwrite", path + " at " + std::to_string(offset));
    }
    bytes = bytes.subspan(static_cast<size_t>(written));
    offset += static_cast<uint64_t>(written);
  }
  return Status::ok();
}

// Creates `path` with `bytes` reserved (a full disk fails here); `file` holds it open.
Status create_reserved(const std::string& path, uint64_t bytes, Descriptor& file) {
  file.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (file.get() < 0) {
    return Status::from_errno(errno, "create", path);
  }
  // posix_fallocate returns the error number rather than setting errno.
  if (const int error = ::posix_fallocate(file.get(), 0, static_cast<off_t>(bytes)); error != 0) {
    ::unlink(path.c_str());
    return Status::from_errno(error, "fallocate", path);
  }
  return Status::ok();
}

constexpr uint64_t kChunkBytes = 1 << 20;
constexpr uint64_t kDirectAlignment = 4096;  // O_DIRECT's unit for offsets, sizes and buffers

// A chunk of zeros aligned for O_DIRECT.
class ZeroChunk {
 public:
  ZeroChunk() : bytes_(static_cast<uint8_t*>(std::aligned_alloc(kDirectAlignment, kChunkBytes))) {
    if (bytes_ != nullptr) {
      std::memset(bytes_, 0, kChunkBytes);
    }
  }
  ZeroChunk(const ZeroChunk&) = delete;
  ZeroChunk& operator=(const ZeroChunk&) = delete;
  ~ZeroChunk() { std::free(bytes_); }
  bool allocated() const { return bytes_ != nullptr; }
  std::span<const uint8_t> first(uint64_t size) const { return {bytes_, size}; }

 private:
  uint8_t* bytes_;
};

// Writes zeros over [offset, end) around the page cache (O_DIRECT), a chunk at a time: the disk
// never has more than a chunk of them queued ahead of the journal's writes, no dirty pages wait
// for writeback, and the reserved extents are converted by this thread as each write completes
// (buffered, a kernel worker converts them, and the journal's own conversions queue behind).
// Returns where it stopped: `end`, or earlier where the file system refuses O_DIRECT (at open,
// or EINVAL for a write), for the page cache to write the rest.
Result<uint64_t> write_zeros_direct(const std::string& path, const ZeroChunk& zeros,
                                    uint64_t offset, uint64_t end) {
  Descriptor direct(::open(path.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC));
  if (direct.get() < 0) {
    return offset;
  }
  while (offset < end) {
    const uint64_t size = std::min(kChunkBytes, end - offset);
    const ssize_t written =
        ::pwrite(direct.get(), zeros.first(size).data(), size, static_cast<off_t>(offset));
    if (written < 0 && errno == EINTR) {
      continue;
    }
    if (written < 0 && errno == EINVAL) {
      return offset;
    }
    if (written < 0) {
      return Status::from_errno(errno, "pwrite", path + " at " + std::to_string(offset));
    }
    // A short write leaves an unaligned offset: the page cache writes the rest.
    offset += static_cast<uint64_t>(written);
    if (offset % kDirectAlignment != 0) {
      return offset;
    }
  }
  return offset;
}

// Starts the writeback of [offset, offset + size) and waits for it: what a sync will then
// have left to write is the metadata.
Status write_back(int descriptor, uint64_t offset, uint64_t size, const std::string& path) {
  constexpr unsigned kWriteBackAndWait =
      SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;
  if (::sync_file_range(descriptor, static_cast<off_t>(offset), static_cast<off_t>(size),
                        kWriteBackAndWait) != 0) {
    return Status::from_errno(errno, "sync_file_range", path);
  }
  return Status::ok();
}

// Writes `bytes` at `offset` through the page cache a chunk at a time, each written back before
// the next is written: the disk never has more than a chunk of this file queued ahead of the
// journal's writes, where a file of hundreds of megabytes synced at once put one group's write
// behind 115 MB of a read-model checkpoint (31 ms).
Status write_chunks_back(int descriptor, uint64_t offset, std::span<const uint8_t> bytes,
                         const std::string& path) {
  for (uint64_t done = 0; done < bytes.size(); done += kChunkBytes) {
    const std::span<const uint8_t> chunk =
        bytes.subspan(done, std::min<uint64_t>(kChunkBytes, bytes.size() - done));
    if (Status status = write_all_at(descriptor, offset + done, chunk, path); !status.is_ok()) {
      return status;
    }
    if (Status status = write_back(descriptor, offset + done, chunk.size(), path);
        !status.is_ok()) {
      return status;
    }
  }
  return Status::ok();
}

// Writes zeros over [offset, end) through the page cache: where O_DIRECT is refused, or for a
// tail too short for it.
Status write_zeros_buffered(int descriptor, const ZeroChunk& zeros, uint64_t offset, uint64_t end,
                            const std::string& path) {
  for (; offset < end; offset += kChunkBytes) {
    if (Status status = write_chunks_back(descriptor, offset,
                                          zeros.first(std::min(kChunkBytes, end - offset)), path);
        !status.is_ok()) {
      return status;
    }
  }
  return Status::ok();
}

// Writes zeros over the whole file, not yet durable.
Status write_zeros(int descriptor, uint64_t bytes, const std::string& path) {
  const ZeroChunk zeros;
  if (!zeros.allocated()) {
    return {StatusCode::kIoError, "prewrite " + path + ": no memory for a chunk of zeros"};
  }
  const uint64_t aligned_end = bytes / kDirectAlignment * kDirectAlignment;
  const Result<uint64_t> written_directly = write_zeros_direct(path, zeros, 0, aligned_end);
  if (!written_directly.is_ok()) {
    return written_directly.status();
  }
  return write_zeros_buffered(descriptor, zeros, *written_directly, bytes, path);
}

}  // namespace

Status PosixStorage::create_file(const std::string& path, uint64_t bytes) {
  Descriptor file(-1);
  if (Status status = create_reserved(path, bytes, file); !status.is_ok()) {
    return status;
  }
  if (::fdatasync(file.get()) != 0) {
    return Status::from_errno(errno, "fdatasync", path);
  }
  return Status::ok();
}

Status PosixStorage::create_prewritten_file(const std::string& path, uint64_t bytes) {
  Descriptor file(-1);
  if (Status status = create_reserved(path, bytes, file); !status.is_ok()) {
    return status;
  }
  if (Status status = write_zeros(file.get(), bytes, path); !status.is_ok()) {
    ::unlink(path.c_str());
    return status;
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
  return write_all_at(file.descriptor, offset, bytes, file.path);
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
  // One write when it is small (a manifest), a chunk at a time written back when it is large
  // (snapshots, checkpoints).
  const Status written = bytes.size() <= kChunkBytes
                             ? write_all(file.get(), bytes, path)
                             : write_chunks_back(file.get(), 0, bytes, path);
  if (!written.is_ok()) {
    return written;
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
