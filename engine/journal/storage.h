// Storage: the file operations the journal and the snapshotter need, behind an interface so
// that tests can inject faults (EIO, ENOSPC, lost unsynced writes, torn writes) at the N-th
// operation. PosixStorage (posix_storage.h) is the real one.
//
// Model: a file is created at its final size (preallocated: a full disk fails here, never as
// SIGBUS inside a mapping), mapped read-write, written through the mapping, and made durable
// range by range with sync(). Until then its bytes may be lost in a crash. Names are made
// durable by sync_directory(). Whoever owns a MappedFile owns the mapping; one thread at a time.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/base/status.h"

namespace tally::journal {

struct MappedFile {
  std::string path;
  std::span<uint8_t> bytes;  // the whole file
};

class Storage {
 public:
  virtual ~Storage() = default;

  // Creates `path` (which must not exist) with `bytes` allocated, all zero.
  virtual Status create_file(const std::string& path, uint64_t bytes) = 0;
  // Maps an existing file read-write.
  virtual Status map_file(const std::string& path, MappedFile& file) = 0;
  virtual Status unmap_file(MappedFile& file) = 0;
  // Makes [offset, offset + bytes) of a mapped file durable.
  virtual Status sync(const MappedFile& file, uint64_t offset, uint64_t bytes) = 0;
  // Writes `bytes` as the whole content of a new file and makes it durable (snapshots).
  virtual Status write_file(const std::string& path, std::span<const uint8_t> bytes) = 0;
  virtual Status read_file(const std::string& path, std::vector<uint8_t>& bytes) = 0;
  virtual Status rename(const std::string& from, const std::string& to) = 0;
  virtual Status remove(const std::string& path) = 0;
  // Makes the directory's entries (creations, renames, removals) durable.
  virtual Status sync_directory(const std::string& directory) = 0;
  // The names (not paths) of the regular files in `directory`, sorted.
  virtual Status list_directory(const std::string& directory, std::vector<std::string>& names) = 0;
};

}  // namespace tally::journal
