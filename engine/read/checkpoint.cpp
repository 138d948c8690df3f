#include "engine/read/checkpoint.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <optional>

#include "engine/base/hashing.h"
#include "engine/journal/journal_format.h"
#include "engine/journal/record_codec.h"
#include "engine/journal/segment_cursor.h"
#include "engine/read/state_bytes.h"

namespace tally::read {
namespace {

constexpr std::string_view kCheckpointSuffix = ".checkpoint";
constexpr std::string_view kTemporarySuffix = ".checkpoint.tmp";
constexpr size_t kSequenceDigits = 20;

Status corrupt(std::string_view problem) {
  return Status::corruption("checkpoint corrupt: " + std::string(problem));
}

uint64_t header_checksum_of(const CheckpointHeader& header) {
  return hash_bytes(&header, offsetof(CheckpointHeader, header_checksum));
}

// The sequence in a checkpoint's file name, or nullopt for any other file.
std::optional<uint64_t> sequence_of(std::string_view name) {
  if (!name.ends_with(kCheckpointSuffix) ||
      name.size() != kSequenceDigits + kCheckpointSuffix.size()) {
    return std::nullopt;
  }
  uint64_t sequence = 0;
  for (const char digit : name.substr(0, kSequenceDigits)) {
    if (digit < '0' || digit > '9') {
      return std::nullopt;
    }
    sequence = sequence * 10 + static_cast<uint64_t>(digit - '0');
  }
  return sequence;
}

// The header's fields that do not depend on the model's bytes, or what is wrong with them.
Status check_header(const CheckpointHeader& header, const ReadModel& model) {
  if (header.magic != kCheckpointMagic) {
    return corrupt("not a Tally read-model checkpoint");
  }
  if (header.header_bytes != sizeof(CheckpointHeader) ||
      header.header_checksum != header_checksum_of(header)) {
    return corrupt("header length or checksum");
  }
  if (header.format_version != kCheckpointFormatVersion) {
    return corrupt("format version " + std::to_string(header.format_version) +
                   ", this build reads " + std::to_string(kCheckpointFormatVersion));
  }
  const std::string_view name(header.model_name,
                              strnlen(header.model_name, kCheckpointModelNameBytes));
  if (name != model.name()) {
    return corrupt("a checkpoint of the " + std::string(name) + " read model, not of " +
                   std::string(model.name()));
  }
  if (header.state_version != model.state_version()) {
    return corrupt("state version " + std::to_string(header.state_version) +
                   ", this build's model writes " + std::to_string(model.state_version()));
  }
  if (header.sequence == 0 || header.timestamp_ns < 0 || header.reserved != 0 ||
      header.last_offset < sizeof(journal::SegmentHeader) ||
      header.last_offset % journal::kRecordAlignment != 0) {
    return corrupt("sequence " + std::to_string(header.sequence) + ", time " +
                   std::to_string(header.timestamp_ns) + " or journal position out of range");
  }
  return Status::ok();
}

// Where the event after `covered` is, if the journal holds the last event `covered` names
// where it says; else why not. A checkpoint taken from a journal that recovery later cut and
// that was written anew past it fails here: its last event's record is another one.
Result<journal::AppendPosition> resume_after(journal::Storage& storage,
                                             const std::string& journal_directory,
                                             const CheckpointCoverage& covered) {
  journal::SegmentCursor cursor(storage, journal_directory);
  if (Status status = cursor.open(covered.last_position.segment_index); !status.is_ok()) {
    return status;
  }
  const uint64_t offset = covered.last_position.offset;
  if (offset >= cursor.bytes().size()) {
    return Status::corruption("its last event is past the end of " + cursor.path());
  }
  cursor.seek(offset);  // (aligned and past the segment header: check_header said so)
  const journal::ReadResult record = cursor.read();
  Outcome event;
  if (record.outcome != journal::ReadOutcome::kRecord || !decode_record(record, event).is_ok()) {
    return Status::corruption("no journal record where its last event was")
        .with_context(cursor.place(offset));
  }
  if (event.sequence != covered.sequence || event.timestamp_ns != covered.timestamp_ns ||
      !event.is_last_in_request()) {
    return Status::corruption("the journal holds event " + std::to_string(event.sequence) + " at " +
                              std::to_string(event.timestamp_ns) +
                              " ns there, not the last of a request at " +
                              std::to_string(covered.sequence))
        .with_context(cursor.place(offset));
  }
  cursor.advance(record);
  return journal::AppendPosition{.fresh = false,
                                 .segment_index = cursor.segment_index(),
                                 .offset = cursor.offset(),
                                 .next_sequence = covered.sequence + 1,
                                 .first_segment = 0};
}

// A checkpoint file's bytes: mapped when it can be (hundreds of megabytes, then neither zeroed
// nor copied before they are decoded: 28 ms for 260 MB where reading them took 190), read
// otherwise (an empty file cannot be mapped: read, it is reported as cut short, like any other).
// A mapping is populated at once (MADV_POPULATE_READ, about what the page faults cost anyway):
// a page the disk cannot read then fails here, and the file is read instead, so the error is a
// Status (and the model rebuilt from the journal), never a SIGBUS while it is decoded.
class CheckpointBytes {
 public:
  explicit CheckpointBytes(journal::Storage& storage) : storage_(storage) {}
  CheckpointBytes(const CheckpointBytes&) = delete;
  CheckpointBytes& operator=(const CheckpointBytes&) = delete;
  ~CheckpointBytes() { release(); }

  Status load(const std::string& path) {
    release();
    if (storage_.map_file(path, mapped_).is_ok()) {
      if (::madvise(mapped_.bytes.data(), mapped_.bytes.size(), MADV_POPULATE_READ) == 0) {
        return Status::ok();
      }
      release();  // unreadable, or a kernel before 5.14: read() says what is wrong, if anything
    }
    return storage_.read_file(path, read_);
  }
  std::span<const uint8_t> bytes() const {
    return mapped_.bytes.empty() ? std::span<const uint8_t>(read_) : mapped_.bytes;
  }

 private:
  void release() {
    if (!mapped_.bytes.empty()) {
      (void)storage_.unmap_file(mapped_);  // (read only: nothing to lose if it fails)
    }
    read_.clear();
  }

  journal::Storage& storage_;
  journal::MappedFile mapped_;
  std::vector<uint8_t> read_;
};

// The checkpoints in `directory`, oldest first (names sort as sequences do).
Status list_checkpoints(journal::Storage& storage, const std::string& directory,
                        std::vector<std::string>& checkpoints) {
  std::vector<std::string> names;
  if (Status status = storage.list_directory(directory, names); !status.is_ok()) {
    return status;
  }
  std::copy_if(names.begin(), names.end(), std::back_inserter(checkpoints),
               [](const std::string& name) { return sequence_of(name).has_value(); });
  return Status::ok();
}

}  // namespace

std::string checkpoint_name(uint64_t sequence) {
  char digits[kSequenceDigits + 1];
  std::snprintf(digits, sizeof(digits), "%020llu", static_cast<unsigned long long>(sequence));
  return std::string(digits) + std::string(kCheckpointSuffix);
}

std::vector<uint8_t> encode_checkpoint(const ReadModel& model, const CheckpointCoverage& covered) {
  StateWriter file;
  file.put_zeros(
      sizeof(CheckpointHeader));  // filled in below, once the body's size and checksum are known
  model.save(file);
  std::vector<uint8_t>& bytes = file.bytes();
  CheckpointHeader header{};
  header.magic = kCheckpointMagic;
  header.format_version = kCheckpointFormatVersion;
  header.header_bytes = sizeof(CheckpointHeader);
  const std::string_view name = model.name();
  std::memcpy(header.model_name, name.data(), std::min(name.size(), kCheckpointModelNameBytes));
  header.state_version = model.state_version();
  header.last_segment = covered.last_position.segment_index;
  header.last_offset = covered.last_position.offset;
  header.sequence = covered.sequence;
  header.timestamp_ns = covered.timestamp_ns;
  header.body_bytes = bytes.size() - sizeof(CheckpointHeader);
  header.body_checksum = hash_bytes(bytes.data() + sizeof(CheckpointHeader), header.body_bytes);
  header.header_checksum = header_checksum_of(header);
  std::memcpy(bytes.data(), &header, sizeof(header));
  return std::move(bytes);
}

Result<CheckpointCoverage> decode_checkpoint(std::span<const uint8_t> bytes, ReadModel& model) {
  CheckpointHeader header;
  if (bytes.size() < sizeof(CheckpointHeader)) {
    return corrupt("shorter than its header");
  }
  std::memcpy(&header, bytes.data(), sizeof(header));
  if (Status status = check_header(header, model); !status.is_ok()) {
    return status;
  }
  const std::span<const uint8_t> body = bytes.subspan(sizeof(CheckpointHeader));
  if (body.size() != header.body_bytes) {
    return corrupt("body of " + std::to_string(body.size()) + " bytes, the header says " +
                   std::to_string(header.body_bytes));
  }
  if (hash_bytes(body.data(), body.size()) != header.body_checksum) {
    return corrupt("body checksum");
  }
  const CheckpointCoverage covered{.sequence = header.sequence,
                                   .timestamp_ns = header.timestamp_ns,
                                   .last_position = {header.last_segment, header.last_offset}};
  StateReader reader(body);
  if (Status status = model.restore(reader, covered); !status.is_ok()) {
    return status.with_context("checkpoint corrupt");
  }
  if (!reader.at_end()) {
    return corrupt("bytes after the model's state");
  }
  return covered;
}

Status write_checkpoint(journal::Storage& storage, const std::string& directory, uint64_t sequence,
                        std::span<const uint8_t> bytes, uint32_t keep) {
  const std::string name = checkpoint_name(sequence);
  const std::string temporary =
      directory + "/" + name.substr(0, kSequenceDigits) + std::string(kTemporarySuffix);
  storage.remove(temporary);  // a leftover from a crash mid-write
  if (Status status = storage.write_file(temporary, bytes); !status.is_ok()) {
    return status;
  }
  if (Status status = storage.rename(temporary, directory + "/" + name); !status.is_ok()) {
    return status;
  }
  if (Status status = storage.sync_directory(directory); !status.is_ok()) {
    return status;
  }
  std::vector<std::string> checkpoints;
  if (Status status = list_checkpoints(storage, directory, checkpoints); !status.is_ok()) {
    return status;
  }
  for (size_t index = 0; index + std::max<uint32_t>(keep, 1) < checkpoints.size(); ++index) {
    if (Status status = storage.remove(directory + "/" + checkpoints[index]); !status.is_ok()) {
      return status;
    }
  }
  return storage.sync_directory(directory);
}

Status remove_checkpoints(journal::Storage& storage, const std::string& directory) {
  std::vector<std::string> names;
  if (Status status = storage.list_directory(directory, names); !status.is_ok()) {
    return status.code() == StatusCode::kNotFound ? Status::ok() : status;
  }
  for (const std::string& name : names) {
    if (sequence_of(name) || name.ends_with(kTemporarySuffix)) {
      if (Status status = storage.remove(directory + "/" + name); !status.is_ok()) {
        return status;
      }
    }
  }
  return storage.sync_directory(directory);
}

CheckpointLoad load_newest_checkpoint(journal::Storage& storage, const std::string& directory,
                                      const std::string& journal_directory,
                                      uint64_t journal_last_sequence, ReadModel& model) {
  CheckpointLoad load;
  model.reset();
  std::vector<std::string> checkpoints;
  if (Status status = list_checkpoints(storage, directory, checkpoints);
      !status.is_ok() && status.code() != StatusCode::kNotFound) {
    load.status = status;
    return load;
  }
  for (auto name = checkpoints.rbegin(); name != checkpoints.rend(); ++name) {
    const std::string path = directory + "/" + *name;
    if (*sequence_of(*name) > journal_last_sequence) {
      // Taken from events the journal no longer holds (recovery cut them): never to be used,
      // even once the journal has grown past it again with other events.
      load.skipped.push_back(*name + ": beyond the journal's last event " +
                             std::to_string(journal_last_sequence) + ", removed");
      if (Status status = storage.remove(path); !status.is_ok()) {
        load.status = status;
        return load;
      }
      continue;
    }
    CheckpointBytes file(storage);
    if (Status status = file.load(path); !status.is_ok()) {
      load.status = status;
      return load;
    }
    Result<CheckpointCoverage> covered = decode_checkpoint(file.bytes(), model);
    Result<journal::AppendPosition> resume =
        covered.is_ok() ? resume_after(storage, journal_directory, *covered)
                        : Result<journal::AppendPosition>(covered.status());
    if (covered.is_ok() && covered->sequence != *sequence_of(*name)) {
      resume = corrupt("its header names another sequence than its file name");
    }
    if (!resume.is_ok()) {
      load.skipped.push_back(*name + ": " + resume.status().message());
      model.reset();
      continue;
    }
    load.loaded = true;
    load.covered = *covered;
    load.resume = *resume;
    return load;
  }
  return load;
}

CheckpointPreload preload_newest_checkpoint(journal::Storage& storage, const std::string& directory,
                                            ReadModel& model) {
  CheckpointPreload preload;
  model.reset();
  std::vector<std::string> checkpoints;
  CheckpointBytes file(storage);
  // Whatever goes wrong here is left to finish_checkpoint_load, which reads again and reports.
  if (!list_checkpoints(storage, directory, checkpoints).is_ok() || checkpoints.empty() ||
      !file.load(directory + "/" + checkpoints.back()).is_ok()) {
    return preload;
  }
  Result<CheckpointCoverage> covered = decode_checkpoint(file.bytes(), model);
  if (!covered.is_ok() || covered->sequence != *sequence_of(checkpoints.back())) {
    model.reset();
    return preload;
  }
  preload.decoded = true;
  preload.name = checkpoints.back();
  preload.covered = *covered;
  return preload;
}

CheckpointLoad finish_checkpoint_load(journal::Storage& storage, const std::string& directory,
                                      const std::string& journal_directory,
                                      uint64_t journal_last_sequence, ReadModel& model,
                                      const CheckpointPreload& preload) {
  // load_newest_checkpoint would take the newest file first: if that is the one preloaded and
  // it passes the checks it would make next, it is the one it would load, with nothing skipped.
  std::vector<std::string> checkpoints;
  if (preload.decoded && preload.covered.sequence <= journal_last_sequence &&
      list_checkpoints(storage, directory, checkpoints).is_ok() && !checkpoints.empty() &&
      checkpoints.back() == preload.name) {
    Result<journal::AppendPosition> resume =
        resume_after(storage, journal_directory, preload.covered);
    if (resume.is_ok()) {
      CheckpointLoad load;
      load.loaded = true;
      load.covered = preload.covered;
      load.resume = *resume;
      return load;
    }
  }
  return load_newest_checkpoint(storage, directory, journal_directory, journal_last_sequence,
                                model);
}

}  // namespace tally::read
