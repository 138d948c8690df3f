// PosixStorage: Storage on the local file system (posix_fallocate, pwrite, O_DIRECT for the
// zeros of prewritten files, fdatasync, mmap, msync, fsync, rename). Never retries a failed sync:
// after one, the kernel may have dropped the dirty pages, so the journal must stop (see
// docs/journal-format.md). Thread-safe: it holds no state.
#pragma once

#include "engine/journal/storage.h"

namespace tally::journal {

class PosixStorage final : public Storage {
 public:
  Status create_file(const std::string& path, uint64_t bytes) override;
  Status create_prewritten_file(const std::string& path, uint64_t bytes) override;
  Status map_file(const std::string& path, MappedFile& file) override;
  Status unmap_file(MappedFile& file) override;
  Status sync(const MappedFile& file, uint64_t offset, uint64_t bytes) override;
  Status open_for_writing(const std::string& path, WritableFile& file) override;
  Status close_file(WritableFile& file) override;
  Status write(const WritableFile& file, uint64_t offset, std::span<const uint8_t> bytes) override;
  Status sync(const WritableFile& file) override;
  Status write_file(const std::string& path, std::span<const uint8_t> bytes) override;
  Status read_file(const std::string& path, std::vector<uint8_t>& bytes) override;
  Status rename(const std::string& from, const std::string& to) override;
  Status remove(const std::string& path) override;
  Status sync_directory(const std::string& directory) override;
  Status list_directory(const std::string& directory, std::vector<std::string>& names) override;
};

}  // namespace tally::journal
