// JournalManifest: a small, synced, checksummed record of the journal's extent (which segments
// exist, and a sequence below which every event was synced), so that the journal knows what it
// has had, as LevelDB's and RocksDB's MANIFEST do. A deleted segment, a vanished tail or a
// journal shorter than its manifest is then refused instead of started from.
//
// It is replaced whole (temporary file, sync, rename, directory sync): a crash leaves the old
// manifest or the new one. The journal writer rewrites it when the journal is created, when it
// opens for appending, when a segment is added, and on a clean shutdown (then `clean` says the
// journal ends exactly at `durable_sequence`). Between those, the durable mark (durable_mark.h)
// and each record's synced distance carry the floor forward without a sync of their own.
// Pure functions over a Storage; the writer's thread, or offline tools.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"
#include "engine/journal/storage.h"

namespace tally::journal {

inline constexpr std::string_view kManifestName = "manifest";
inline constexpr uint64_t kManifestMagic = 0x31464E4D594C4154ULL;  // bytes "TALYMNF1"
inline constexpr uint32_t kManifestFormatVersion = 1;

struct JournalManifest {
  uint64_t generation = 0;     // one more on every rewrite
  uint64_t first_segment = 0;  // the journal's segments are first_segment..last_segment
  uint64_t last_segment = 0;
  uint64_t durable_sequence = 0;  // every event up to it was synced (acknowledgeable)
  bool clean = false;             // written by a clean shutdown: nothing follows durable_sequence

  friend bool operator==(const JournalManifest&, const JournalManifest&) = default;
};

struct ManifestFile {
  uint64_t magic;
  uint32_t format_version;
  uint32_t file_bytes;
  uint64_t generation;
  uint64_t first_segment;
  uint64_t last_segment;
  uint64_t durable_sequence;
  uint32_t clean;     // 0 or 1
  uint32_t reserved;  // 0
  uint64_t checksum;  // XXH3-64 of the bytes before it
};
static_assert(sizeof(ManifestFile) == 64);

std::vector<uint8_t> encode_manifest(const JournalManifest& manifest);
// The manifest in `bytes`, or kCorruption saying what is wrong (the caller names the file).
Result<JournalManifest> decode_manifest(std::span<const uint8_t> bytes);

// Replaces `directory`'s manifest durably.
Status write_manifest(Storage& storage, const std::string& directory,
                      const JournalManifest& manifest);

// `directory`'s manifest, nullopt if there is none; an I/O error, or kCorruption naming the file
// if it exists but is damaged.
Result<std::optional<JournalManifest>> read_manifest(Storage& storage,
                                                     const std::string& directory);

}  // namespace tally::journal
