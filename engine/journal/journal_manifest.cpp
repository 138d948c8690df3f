#include "engine/journal/journal_manifest.h"

#include <cstring>

#include "engine/base/hashing.h"

namespace tally::journal {
namespace {

constexpr std::string_view kTemporarySuffix = ".tmp";

uint64_t checksum_of(const ManifestFile& file) {
  return hash_bytes(&file, offsetof(ManifestFile, checksum));
}

}  // namespace

std::vector<uint8_t> encode_manifest(const JournalManifest& manifest) {
  ManifestFile file{};
  file.magic = kManifestMagic;
  file.format_version = kManifestFormatVersion;
  file.file_bytes = sizeof(ManifestFile);
  file.generation = manifest.generation;
  file.first_segment = manifest.first_segment;
  file.last_segment = manifest.last_segment;
  file.durable_sequence = manifest.durable_sequence;
  file.clean = manifest.clean ? 1 : 0;
  file.checksum = checksum_of(file);
  std::vector<uint8_t> bytes(sizeof(file));
  std::memcpy(bytes.data(), &file, sizeof(file));
  return bytes;
}

Result<JournalManifest> decode_manifest(std::span<const uint8_t> bytes) {
  ManifestFile file{};
  if (bytes.size() != sizeof(file)) {
    return Status::corruption("size " + std::to_string(bytes.size()) + ", not " +
                              std::to_string(sizeof(file)));
  }
  std::memcpy(&file, bytes.data(), sizeof(file));
  if (file.magic != kManifestMagic || file.file_bytes != sizeof(file)) {
    return Status::corruption("not a Tally journal manifest (bad magic or size)");
  }
  if (file.checksum != checksum_of(file)) {
    return Status::corruption("checksum mismatch");
  }
  if (file.format_version != kManifestFormatVersion) {
    return Status::corruption("unsupported manifest version " +
                              std::to_string(file.format_version));
  }
  if (file.clean > 1 || file.reserved != 0 || file.first_segment > file.last_segment) {
    return Status::corruption("fields out of range");
  }
  return JournalManifest{.generation = file.generation,
                         .first_segment = file.first_segment,
                         .last_segment = file.last_segment,
                         .durable_sequence = file.durable_sequence,
                         .clean = file.clean == 1};
}

Status write_manifest(Storage& storage, const std::string& directory,
                      const JournalManifest& manifest) {
  const std::string path = directory + "/" + std::string(kManifestName);
  const std::string temporary = path + std::string(kTemporarySuffix);
  storage.remove(temporary);  // left by a crash mid-write, if anything
  if (Status status = storage.write_file(temporary, encode_manifest(manifest)); !status.is_ok()) {
    return status;
  }
  if (Status status = storage.rename(temporary, path); !status.is_ok()) {
    return status;
  }
  return storage.sync_directory(directory);
}

Result<std::optional<JournalManifest>> read_manifest(Storage& storage,
                                                     const std::string& directory) {
  const std::string path = directory + "/" + std::string(kManifestName);
  std::vector<uint8_t> bytes;
  if (Status status = storage.read_file(path, bytes); !status.is_ok()) {
    if (status.code() == StatusCode::kNotFound) {
      return std::optional<JournalManifest>();
    }
    return status;
  }
  Result<JournalManifest> manifest = decode_manifest(bytes);
  if (!manifest.is_ok()) {
    return manifest.status().with_context("journal manifest " + path + " damaged");
  }
  return std::optional<JournalManifest>(*manifest);
}

}  // namespace tally::journal
