#include "engine/journal/durable_mark.h"

#include <cstring>
#include <vector>

#include "engine/base/hashing.h"
#include "engine/base/invariant.h"

namespace tally::journal {
namespace {

std::string path_in(const std::string& directory) {
  return directory + "/" + std::string(kDurableMarkName);
}

uint64_t checksum_of(const DurableMarkRecord& record) {
  return hash_bytes(&record, offsetof(DurableMarkRecord, checksum));
}

}  // namespace

DurableMark::~DurableMark() {
  if (!file_.bytes.empty()) {
    storage_.unmap_file(file_);
  }
}

Status DurableMark::open(const std::string& directory) {
  const std::string path = path_in(directory);
  Status status = storage_.map_file(path, file_);
  if (status.is_ok() && file_.bytes.size() == kDurableMarkFileBytes) {
    return status;
  }
  if (status.is_ok()) {
    storage_.unmap_file(file_);  // the wrong size: made again below
  } else if (status.code() != StatusCode::kNotFound) {
    return status;
  }
  storage_.remove(path);
  if (status = storage_.create_file(path, kDurableMarkFileBytes); !status.is_ok()) {
    return status;
  }
  if (status = storage_.sync_directory(directory); !status.is_ok()) {
    return status;
  }
  return storage_.map_file(path, file_);
}

void DurableMark::store(uint64_t sequence) {
  TALLY_ASSERT(file_.bytes.size() >= sizeof(DurableMarkRecord));
  DurableMarkRecord record{
      .magic = kDurableMarkMagic, .sequence = sequence, .reserved = 0, .checksum = 0};
  record.checksum = checksum_of(record);
  std::memcpy(file_.bytes.data(), &record, sizeof(record));
}

DurableMarkRead read_durable_mark(Storage& storage, const std::string& directory) {
  std::vector<uint8_t> bytes;
  if (!storage.read_file(path_in(directory), bytes).is_ok()) {
    return {};
  }
  if (bytes.size() < sizeof(DurableMarkRecord)) {
    return {.exists = true, .sequence = 0};
  }
  DurableMarkRecord record{};
  std::memcpy(&record, bytes.data(), sizeof(record));
  const bool valid = record.magic == kDurableMarkMagic && record.reserved == 0 &&
                     record.checksum == checksum_of(record);
  return {.exists = true, .sequence = valid ? record.sequence : 0};
}

}  // namespace tally::journal
