#include "support/faulty_storage.h"

#include <algorithm>
#include <cstring>
#include <set>

namespace tally::testing {
namespace {

std::string directory_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

std::string name_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool chance(std::mt19937_64& random, double probability) {
  return std::uniform_real_distribution<double>(0, 1)(random) < probability;
}

}  // namespace

void FaultyStorage::fail_at(uint64_t operation, StatusCode code, bool sticky, bool partial_writes) {
  fail_from_ = operations_ + operation;
  fail_code_ = code;
  fail_sticky_ = sticky;
  partial_writes_ = partial_writes;
}

Status FaultyStorage::next_operation(const std::string& what) {
  if (suspended_) {
    return Status::ok();
  }
  ++operations_;
  const bool failing =
      fail_from_ != 0 && (operations_ == fail_from_ || (fail_sticky_ && operations_ > fail_from_));
  if (!failing) {
    return Status::ok();
  }
  return {fail_code_, "injected failure of operation " + std::to_string(operations_) + ": " + what};
}

void FaultyStorage::apply(const NameChange& change, Namespace& names) {
  switch (change.kind) {
    case NameChange::Kind::kCreate:
      names[change.path] = change.content;
      break;
    case NameChange::Kind::kRename:
      // A rename moves the file the name held when it was made (an inode, not a name): the new
      // name holds that file even if its creation was lost, and the old name goes only if it
      // still holds it.
      if (const auto found = names.find(change.path);
          found != names.end() && found->second == change.content) {
        names.erase(found);
      }
      names[change.to] = change.content;
      break;
    case NameChange::Kind::kRemove:
      names.erase(change.path);
      break;
  }
}

void FaultyStorage::lose_unsynced_bytes(
    const std::function<size_t(Content&, size_t)>& written_back) {
  std::set<const Content*> seen;
  const auto lose = [&](Content& content) {
    if (!seen.insert(&content).second) {
      return;
    }
    for (size_t sector = 0; sector * kSectorBytes < content.live.size(); ++sector) {
      const size_t begin = sector * kSectorBytes;
      const size_t end = std::min(begin + kSectorBytes, content.live.size());
      const bool dirty = !std::equal(content.live.begin() + begin, content.live.begin() + end,
                                     content.durable.begin() + begin);
      if (dirty) {  // some or all of it may have reached the disk after all
        const size_t kept = std::min(written_back(content, sector), end - begin);
        std::copy(content.live.begin() + begin, content.live.begin() + begin + kept,
                  content.durable.begin() + begin);
      }
    }
    content.live = content.durable;
  };
  for (auto& [path, content] : live_names_)
    lose(*content);
  for (auto& [path, content] : durable_names_)
    lose(*content);
  for (NameChange& change : unsynced_names_) {
    if (change.content != nullptr)
      lose(*change.content);
  }
}

void FaultyStorage::crash(size_t torn_pages) {
  std::map<std::string, size_t> kept;
  crash_keeping([&](const std::string& path, size_t) { return kept[path]++ < torn_pages; });
}

void FaultyStorage::crash_keeping(const std::function<bool(const std::string&, size_t)>& survives) {
  std::map<const Content*, std::string> path_of;
  for (const auto& [path, content] : live_names_)
    path_of.emplace(content.get(), path);
  // One decision per dirty page, asked in page order, as the callers expect.
  std::map<std::pair<const Content*, size_t>, bool> decided;
  lose_unsynced_bytes([&](Content& content, size_t sector) -> size_t {
    const size_t page = sector * kSectorBytes / kPageBytes;
    const auto key = std::make_pair(static_cast<const Content*>(&content), page);
    auto found = decided.find(key);
    if (found == decided.end()) {
      found = decided.emplace(key, survives(path_of[&content], page)).first;
    }
    return found->second ? kSectorBytes : 0;
  });
  unsynced_names_.clear();
  live_names_ = durable_names_;
}

void FaultyStorage::power_loss(const PowerLoss& how, std::mt19937_64& random) {
  lose_unsynced_bytes([&](Content&, size_t) -> size_t {
    if (chance(random, how.sector_survives))
      return kSectorBytes;
    if (chance(random, how.sector_tears))
      return random() % kSectorBytes;
    return 0;
  });
  for (const NameChange& change : unsynced_names_) {
    if (chance(random, how.name_change_survives)) {
      apply(change, durable_names_);
    } else if (how.names_in_order) {
      break;  // the journal of the file system committed up to here
    }
  }
  unsynced_names_.clear();
  live_names_ = durable_names_;
}

void FaultyStorage::corrupt(const std::string& path, size_t offset, uint8_t mask) {
  const auto found = live_names_.find(path);
  if (found != live_names_.end() && offset < found->second->live.size()) {
    found->second->live[offset] ^= mask;
    if (offset < found->second->durable.size()) {
      found->second->durable[offset] ^= mask;
    }
  }
}

std::vector<uint8_t>* FaultyStorage::bytes_of(const std::string& path) {
  const auto found = live_names_.find(path);
  return found == live_names_.end() ? nullptr : &found->second->live;
}

std::map<std::string, std::vector<uint8_t>> FaultyStorage::image() const {
  std::map<std::string, std::vector<uint8_t>> files;
  for (const auto& [path, content] : live_names_)
    files.emplace(path, content->live);
  return files;
}

void FaultyStorage::add_name(const std::string& path, std::shared_ptr<Content> content) {
  live_names_[path] = content;
  unsynced_names_.push_back(
      {.kind = NameChange::Kind::kCreate, .path = path, .content = std::move(content)});
}

Status FaultyStorage::create_file(const std::string& path, uint64_t bytes) {
  if (Status status = next_operation("create " + path); !status.is_ok()) {
    return status;
  }
  if (live_names_.contains(path)) {
    return {StatusCode::kAlreadyExists, "create " + path + ": exists"};
  }
  auto content = std::make_shared<Content>();
  content->live.assign(bytes, 0);
  content->durable.assign(bytes, 0);  // preallocated and synced: zeros survive
  add_name(path, std::move(content));
  return Status::ok();
}

Status FaultyStorage::create_prewritten_file(const std::string& path, uint64_t bytes) {
  return create_file(path, bytes);
}

Status FaultyStorage::map_file(const std::string& path, journal::MappedFile& file) {
  if (Status status = next_operation("map " + path); !status.is_ok()) {
    return status;
  }
  const auto found = live_names_.find(path);
  if (found == live_names_.end()) {
    return {StatusCode::kNotFound, "map " + path + ": no such file"};
  }
  file.path = path;
  file.bytes = found->second->live;
  return Status::ok();
}

Status FaultyStorage::unmap_file(journal::MappedFile& file) {
  file = journal::MappedFile{};
  return Status::ok();
}

Status FaultyStorage::sync(const journal::MappedFile& file, uint64_t offset, uint64_t bytes) {
  if (Status status = next_operation("sync " + file.path); !status.is_ok()) {
    return status;
  }
  ++data_syncs_;
  const auto found = live_names_.find(file.path);
  if (found == live_names_.end()) {
    return {StatusCode::kNotFound, "sync " + file.path + ": no such file"};
  }
  Content& content = *found->second;
  const size_t end = std::min<size_t>(offset + bytes, content.live.size());
  std::copy(content.live.begin() + static_cast<ptrdiff_t>(offset),
            content.live.begin() + static_cast<ptrdiff_t>(end),
            content.durable.begin() + static_cast<ptrdiff_t>(offset));
  return Status::ok();
}

Status FaultyStorage::open_for_writing(const std::string& path, journal::WritableFile& file) {
  if (Status status = next_operation("open " + path); !status.is_ok()) {
    return status;
  }
  const auto found = live_names_.find(path);
  if (found == live_names_.end()) {
    return {StatusCode::kNotFound, "open " + path + ": no such file"};
  }
  file.path = path;
  file.descriptor = next_descriptor_++;
  file.bytes = found->second->live.size();
  open_files_[file.descriptor] = found->second;
  return Status::ok();
}

Status FaultyStorage::close_file(journal::WritableFile& file) {
  open_files_.erase(file.descriptor);
  file = journal::WritableFile{};
  return Status::ok();
}

FaultyStorage::Content* FaultyStorage::open_file(const journal::WritableFile& file) {
  const auto found = open_files_.find(file.descriptor);
  return found == open_files_.end() ? nullptr : found->second.get();
}

Status FaultyStorage::write(const journal::WritableFile& file, uint64_t offset,
                            std::span<const uint8_t> bytes) {
  if (Status status = next_operation("write " + file.path); !status.is_ok()) {
    return status;
  }
  Content* content = open_file(file);
  if (content == nullptr) {
    return {StatusCode::kInvalidArgument, "write " + file.path + ": not open"};
  }
  if (offset > content->live.size() || bytes.size() > content->live.size() - offset) {
    return {StatusCode::kInvalidArgument, "write " + file.path + ": outside the file"};
  }
  // Into the live bytes only, in place (mappings see them): durable once synced.
  std::copy(bytes.begin(), bytes.end(), content->live.begin() + static_cast<ptrdiff_t>(offset));
  return Status::ok();
}

Status FaultyStorage::sync(const journal::WritableFile& file) {
  if (Status status = next_operation("sync " + file.path); !status.is_ok()) {
    return status;
  }
  ++data_syncs_;
  Content* content = open_file(file);
  if (content == nullptr) {
    return {StatusCode::kInvalidArgument, "sync " + file.path + ": not open"};
  }
  content->durable = content->live;
  return Status::ok();
}

Status FaultyStorage::write_file(const std::string& path, std::span<const uint8_t> bytes) {
  if (Status status = next_operation("write " + path); !status.is_ok()) {
    if (partial_writes_ && !live_names_.contains(path)) {
      auto content = std::make_shared<Content>();
      content->live.assign(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(bytes.size() / 2));
      content->durable.assign(content->live.size(), 0);
      add_name(path, std::move(content));
    }
    return status;
  }
  if (live_names_.contains(path)) {
    return {StatusCode::kAlreadyExists, "write " + path + ": exists"};
  }
  auto content = std::make_shared<Content>();
  content->live.assign(bytes.begin(), bytes.end());
  content->durable = content->live;
  add_name(path, std::move(content));
  return Status::ok();
}

Status FaultyStorage::read_file(const std::string& path, std::vector<uint8_t>& bytes) {
  if (Status status = next_operation("read " + path); !status.is_ok()) {
    return status;
  }
  const auto found = live_names_.find(path);
  if (found == live_names_.end()) {
    return {StatusCode::kNotFound, "read " + path + ": no such file"};
  }
  bytes = found->second->live;
  return Status::ok();
}

Status FaultyStorage::rename(const std::string& from, const std::string& to) {
  if (Status status = next_operation("rename " + from); !status.is_ok()) {
    return status;
  }
  const auto found = live_names_.find(from);
  if (found == live_names_.end()) {
    return {StatusCode::kNotFound, "rename " + from + ": no such file"};
  }
  std::shared_ptr<Content> content = found->second;
  live_names_.erase(found);
  live_names_[to] = content;
  unsynced_names_.push_back(
      {.kind = NameChange::Kind::kRename, .path = from, .to = to, .content = std::move(content)});
  return Status::ok();
}

Status FaultyStorage::remove(const std::string& path) {
  if (Status status = next_operation("remove " + path); !status.is_ok()) {
    return status;
  }
  if (live_names_.erase(path) == 0) {
    return {StatusCode::kNotFound, "remove " + path + ": no such file"};
  }
  unsynced_names_.push_back({.kind = NameChange::Kind::kRemove, .path = path});
  return Status::ok();
}

Status FaultyStorage::sync_directory(const std::string& directory) {
  if (Status status = next_operation("sync directory " + directory); !status.is_ok()) {
    return status;
  }
  // The directory's changes become durable, in order; other directories' stay pending.
  std::vector<NameChange> pending;
  for (NameChange& change : unsynced_names_) {
    const bool here = directory_of(change.path) == directory ||
                      (!change.to.empty() && directory_of(change.to) == directory);
    if (here) {
      apply(change, durable_names_);
    } else {
      pending.push_back(std::move(change));
    }
  }
  unsynced_names_ = std::move(pending);
  return Status::ok();
}

Status FaultyStorage::list_directory(const std::string& directory,
                                     std::vector<std::string>& names) {
  if (Status status = next_operation("list " + directory); !status.is_ok()) {
    return status;
  }
  names.clear();
  for (const auto& [path, content] : live_names_) {
    if (directory_of(path) == directory) {
      names.push_back(name_of(path));
    }
  }
  return Status::ok();  // std::map keeps them sorted
}

}  // namespace tally::testing
