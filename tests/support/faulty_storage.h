// FaultyStorage: an in-memory Storage for tests that need the disk to misbehave.
//
// It keeps, per file, what a crash would leave (the durable bytes) apart from what the
// program sees (the live bytes), and per directory which names are durable. crash() throws
// away everything not made durable; fail_at(N) makes the N-th operation (and, if sticky,
// every later one) fail with the given code: EIO, ENOSPC. Single-threaded, like the journal.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/journal/storage.h"

namespace tally::testing {

class FaultyStorage final : public journal::Storage {
 public:
  static constexpr size_t kPageBytes = 4096;

  // The `operation`-th call from now on (1 = the next) fails with `code`; so do all after it
  // when `sticky`.
  void fail_at(uint64_t operation, StatusCode code, bool sticky = true);
  uint64_t operations() const { return operations_; }
  // Stops injecting failures (the disk was repaired).
  void heal() { fail_from_ = 0; }

  // Power loss: files, names and bytes revert to what was made durable, except that the
  // first `torn_pages` pages written but not synced in each file survive (a torn write).
  // Unmap every file first: a mapping does not survive a crash.
  void crash(size_t torn_pages = 0);
  // Power loss where the kernel had written back, in no particular order, the dirty pages for
  // which `survives(path, page index)` is true.
  void crash_keeping(const std::function<bool(const std::string&, size_t)>& survives);

  Status create_file(const std::string& path, uint64_t bytes) override;
  Status map_file(const std::string& path, journal::MappedFile& file) override;
  Status unmap_file(journal::MappedFile& file) override;
  Status sync(const journal::MappedFile& file, uint64_t offset, uint64_t bytes) override;
  Status write_file(const std::string& path, std::span<const uint8_t> bytes) override;
  Status read_file(const std::string& path, std::vector<uint8_t>& bytes) override;
  Status rename(const std::string& from, const std::string& to) override;
  Status remove(const std::string& path) override;
  Status sync_directory(const std::string& directory) override;
  Status list_directory(const std::string& directory, std::vector<std::string>& names) override;

 private:
  struct Content {
    std::vector<uint8_t> live;
    std::vector<uint8_t> durable;
  };
  using Namespace = std::map<std::string, std::shared_ptr<Content>>;

  // Counts the operation; an error if it is one that must fail.
  Status next_operation(const std::string& what);

  Namespace live_names_;
  Namespace durable_names_;
  uint64_t operations_ = 0;
  uint64_t fail_from_ = 0;  // 0: never
  bool fail_sticky_ = false;
  StatusCode fail_code_ = StatusCode::kIoError;
};

}  // namespace tally::testing
