// FaultyStorage: an in-memory Storage for tests that need the disk to misbehave.
//
// It keeps, per file, what a crash would leave (the durable bytes) apart from what the
// program sees (the live bytes), and per directory which names are durable; the changes to
// names not yet made durable (creations, renames, removals) wait in order until their
// directory is synced. fail_at(N) makes the N-th operation (and, if sticky, every later one)
// fail with the given code: EIO, ENOSPC. A power loss throws away what was not made durable:
// all of it (crash), chosen pages (crash_keeping), or, for the power-loss simulation, each
// unsynced sector and each unsynced name change independently (power_loss). Single-threaded,
// like the journal.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/journal/storage.h"

namespace tally::testing {

// What a power loss does with what was written but not made durable.
struct PowerLoss {
  // Each unsynced 512-byte sector reached the disk whole with this chance...
  double sector_survives = 0;
  // ...or, with this chance, only a prefix of it did (a torn sector write).
  double sector_tears = 0;
  // Each unsynced change to a directory's names survived with this chance. A journaling file
  // system keeps a prefix of them (names_in_order); POSIX promises not even that.
  double name_change_survives = 0;
  bool names_in_order = true;
};

class FaultyStorage final : public journal::Storage {
 public:
  static constexpr size_t kPageBytes = 4096;
  static constexpr size_t kSectorBytes = 512;

  // The `operation`-th call from now on (1 = the next) fails with `code`; so do all after it
  // when `sticky`. With `partial_writes`, a write_file that fails leaves what a process killed
  // inside write(2) would: the name, pending, over a prefix of the bytes, unsynced.
  void fail_at(uint64_t operation, StatusCode code, bool sticky = true,
               bool partial_writes = false);
  uint64_t operations() const { return operations_; }
  // How many of them were syncs of a file's data (not of a directory).
  uint64_t data_syncs() const { return data_syncs_; }
  // Stops injecting failures (the disk was repaired).
  void heal() { fail_from_ = 0; }
  // While suspended, operations neither count nor fail: a test's own reads between the
  // engine's operations do not move the failure planned for the engine.
  void suspend_failures(bool suspended) { suspended_ = suspended; }

  // Media corruption: flips the bits of `mask` in byte `offset` of `path`, as read now and as a
  // crash would leave it.
  void corrupt(const std::string& path, size_t offset, uint8_t mask);

  // Power loss: files, names and bytes revert to what was made durable, except that the
  // first `torn_pages` pages written but not synced in each file survive (a torn write).
  // Unmap every file first: a mapping does not survive a crash.
  void crash(size_t torn_pages = 0);
  // Power loss where the kernel had written back, in no particular order, the dirty pages for
  // which `survives(path, page index)` is true.
  void crash_keeping(const std::function<bool(const std::string&, size_t)>& survives);
  // Power loss as `how` describes it, the chances drawn from `random`.
  void power_loss(const PowerLoss& how, std::mt19937_64& random);

  // Test access to a file's bytes as the program would read them now (and, after a crash, as
  // the disk kept them); null if there is no such file.
  std::vector<uint8_t>* bytes_of(const std::string& path);
  // Every file, path → bytes: to check that something changed nothing.
  std::map<std::string, std::vector<uint8_t>> image() const;

  Status create_file(const std::string& path, uint64_t bytes) override;
  // As create_file: zeros preallocated and durable (on disk only their allocation differs).
  Status create_prewritten_file(const std::string& path, uint64_t bytes) override;
  Status map_file(const std::string& path, journal::MappedFile& file) override;
  Status unmap_file(journal::MappedFile& file) override;
  Status sync(const journal::MappedFile& file, uint64_t offset, uint64_t bytes) override;
  Status open_for_writing(const std::string& path, journal::WritableFile& file) override;
  Status close_file(journal::WritableFile& file) override;
  Status write(const journal::WritableFile& file, uint64_t offset,
               std::span<const uint8_t> bytes) override;
  Status sync(const journal::WritableFile& file) override;
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
  // A change to the names not yet made durable.
  struct NameChange {
    enum class Kind { kCreate, kRename, kRemove } kind = Kind::kCreate;
    std::string path;                    // created, removed, or renamed from
    std::string to{};                    // renamed to
    std::shared_ptr<Content> content{};  // created, or renamed (the file, not the name)
  };

  // Counts the operation; an error if it is one that must fail.
  Status next_operation(const std::string& what);
  void add_name(const std::string& path, std::shared_ptr<Content> content);
  static void apply(const NameChange& change, Namespace& names);
  // Every file's bytes revert to the durable ones, after `written_back(file, sector)` decided
  // for each dirty sector how many of its bytes reached the disk (0: none).
  void lose_unsynced_bytes(const std::function<size_t(Content&, size_t)>& written_back);

  // The file a WritableFile's descriptor refers to: a descriptor follows its file through
  // renames, as a POSIX one follows its inode.
  Content* open_file(const journal::WritableFile& file);

  Namespace live_names_;
  std::map<int, std::shared_ptr<Content>> open_files_;
  int next_descriptor_ = 3;
  Namespace durable_names_;
  std::vector<NameChange> unsynced_names_;
  uint64_t operations_ = 0;
  uint64_t data_syncs_ = 0;
  uint64_t fail_from_ = 0;  // 0: never
  bool fail_sticky_ = false;
  bool partial_writes_ = false;
  bool suspended_ = false;
  StatusCode fail_code_ = StatusCode::kIoError;
};

}  // namespace tally::testing
