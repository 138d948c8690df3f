// Storage: the file operations the journal and the snapshotter need, behind an interface so
// that tests can inject faults (EIO, ENOSPC, lost unsynced writes, torn writes) at the N-th
// operation. PosixStorage (posix_storage.h) is the real one.
//
// Model: a file is created at its final size (preallocated: a full disk fails here, never as
// SIGBUS inside a mapping), either with its space only reserved or with its zeros written
// too (see create_prewritten_file). It is then written either by offset (open_for_writing, write,
// sync: how the journal appends) or through a read-write mapping made durable range by range (how
// recovery zeroes a cut tail); readers map it. Written bytes are visible to every mapping at
// once, and may be lost in a crash until a sync returns. Names are made durable by
// sync_directory(). Whoever owns a MappedFile or WritableFile owns it; one thread at a time.
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

struct WritableFile {
  std::string path;
  int descriptor = -1;  // the storage's handle
  uint64_t bytes = 0;   // the file's size when opened
};

class Storage {
 public:
  virtual ~Storage() = default;

  // Creates `path` (which must not exist) with `bytes` allocated, all zero, durable.
  virtual Status create_file(const std::string& path, uint64_t bytes) = 0;
  // The same, with the zeros written to the disk as well, which takes time and disk bandwidth
  // (made ahead by a background thread): a later write into the file overwrites blocks already
  // written, so its sync never has to convert a reserved (unwritten) extent first. On ext4 that
  // conversion waits for a kernel worker thread, and on a busy machine for tens of
  // milliseconds (docs/decisions.md, "Journal syncs wait for no kernel worker").
  virtual Status create_prewritten_file(const std::string& path, uint64_t bytes) = 0;
  // Maps an existing file read-write.
  virtual Status map_file(const std::string& path, MappedFile& file) = 0;
  virtual Status unmap_file(MappedFile& file) = 0;
  // Makes [offset, offset + bytes) of a mapped file durable.
  virtual Status sync(const MappedFile& file, uint64_t offset, uint64_t bytes) = 0;
  // Opens an existing file to write it by offset; its size never changes.
  virtual Status open_for_writing(const std::string& path, WritableFile& file) = 0;
  virtual Status close_file(WritableFile& file) = 0;
  // Writes all of `bytes` at `offset`, inside the file.
  virtual Status write(const WritableFile& file, uint64_t offset,
                       std::span<const uint8_t> bytes) = 0;
  // Makes every byte written to the file durable (its data, not its times).
  virtual Status sync(const WritableFile& file) = 0;
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
