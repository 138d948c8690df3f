#include "support/faulty_storage.h"

#include <algorithm>
#include <cstring>

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

}  // namespace

void FaultyStorage::fail_at(uint64_t operation, StatusCode code, bool sticky) {
  fail_from_ = operations_ + operation;
  fail_code_ = code;
  fail_sticky_ = sticky;
}

Status FaultyStorage::next_operation(const std::string& what) {
  ++operations_;
  const bool failing =
      fail_from_ != 0 && (operations_ == fail_from_ || (fail_sticky_ && operations_ > fail_from_));
  if (!failing) {
    return Status::ok();
  }
  return {fail_code_, "injected failure of operation " + std::to_string(operations_) + ": " + what};
}

void FaultyStorage::crash(size_t torn_pages) {
  std::map<std::string, size_t> kept;
  crash_keeping([&](const std::string& path, size_t) { return kept[path]++ < torn_pages; });
}

void FaultyStorage::crash_keeping(const std::function<bool(const std::string&, size_t)>& survives) {
  for (auto& [name, content] : live_names_) {
    for (size_t page = 0; page * kPageBytes < content->live.size(); ++page) {
      const size_t begin = page * kPageBytes;
      const size_t end = std::min(begin + kPageBytes, content->live.size());
      const bool dirty = !std::equal(content->live.begin() + begin, content->live.begin() + end,
                                     content->durable.begin() + begin);
      if (dirty && survives(name, page)) {  // this page reached the disk after all
        std::copy(content->live.begin() + begin, content->live.begin() + end,
                  content->durable.begin() + begin);
      }
    }
    content->live = content->durable;
  }
  live_names_ = durable_names_;
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
  live_names_[path] = std::move(content);
  return Status::ok();
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

Status FaultyStorage::write_file(const std::string& path, std::span<const uint8_t> bytes) {
  if (Status status = next_operation("write " + path); !status.is_ok()) {
    return status;
  }
  if (live_names_.contains(path)) {
    return {StatusCode::kAlreadyExists, "write " + path + ": exists"};
  }
  auto content = std::make_shared<Content>();
  content->live.assign(bytes.begin(), bytes.end());
  content->durable = content->live;
  live_names_[path] = std::move(content);
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
  live_names_[to] = found->second;
  live_names_.erase(from);
  return Status::ok();
}

Status FaultyStorage::remove(const std::string& path) {
  if (Status status = next_operation("remove " + path); !status.is_ok()) {
    return status;
  }
  if (live_names_.erase(path) == 0) {
    return {StatusCode::kNotFound, "remove " + path + ": no such file"};
  }
  return Status::ok();
}

Status FaultyStorage::sync_directory(const std::string& directory) {
  if (Status status = next_operation("sync directory " + directory); !status.is_ok()) {
    return status;
  }
  std::erase_if(durable_names_,
                [&](const auto& entry) { return directory_of(entry.first) == directory; });
  for (const auto& [path, content] : live_names_) {
    if (directory_of(path) == directory) {
      durable_names_[path] = content;
    }
  }
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
