#include "engine/journal/journal_writer.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "engine/invariant.h"
#include "engine/journal/record_codec.h"
#include "engine/journal/segment_names.h"

namespace tally::journal {

JournalWriter::JournalWriter(Storage& storage, JournalWriterConfig config)
    : storage_(storage), config_(std::move(config)) {
  TALLY_ASSERT(config_.segment_bytes >= sizeof(SegmentHeader) + kRecordMaxBytes);
  TALLY_ASSERT(config_.segment_bytes <= UINT32_MAX);  // JournalPosition keeps 32-bit offsets
}

JournalWriter::~JournalWriter() {
  if (!current_.bytes.empty()) {
    storage_.unmap_file(current_);
  }
}

Status JournalWriter::fail(Status status) {
  if (failure_.is_ok()) {
    failure_ = status;
  }
  return failure_;
}

Status JournalWriter::open(const AppendPosition& position, int64_t now_ns) {
  now_ns_ = now_ns;
  next_sequence_ = position.next_sequence;
  durable_sequence_ = position.next_sequence - 1;
  if (position.fresh) {
    // Fresh means no segment at all: never start over a journal recovery did not see.
    std::vector<std::string> names;
    if (storage_.list_directory(config_.directory, names).is_ok() &&
        std::any_of(names.begin(), names.end(),
                    [](const std::string& name) { return segment_index_of(name).has_value(); })) {
      return fail({StatusCode::kInvalidArgument,
                   "journal " + config_.directory + " already has segments: recover it first"});
    }
    // A spare from a start that crashed before its first segment was activated.
    storage_.remove(path_of(spare_name(0)));
    if (Status status = prepare_spare(0); !status.is_ok()) {
      return fail(status);
    }
    if (Status status = activate_segment(0, position.next_sequence); !status.is_ok()) {
      return fail(status);
    }
  } else {
    segment_index_ = position.segment_index;
    if (Status status = storage_.map_file(path_of(segment_name(segment_index_)), current_);
        !status.is_ok()) {
      return fail(status);
    }
    offset_ = position.offset;
    synced_offset_ = position.offset;
  }
  // A spare left by an earlier run may be half made: make a new one.
  storage_.remove(path_of(spare_name(segment_index_ + 1)));
  if (Status status = prepare_spare(segment_index_ + 1); !status.is_ok()) {
    return fail(status);
  }
  return Status::ok();
}

Status JournalWriter::append(const Event& event) {
  if (failed()) {
    return failure_;
  }
  TALLY_ASSERT(!event.is_replayed_answer());
  TALLY_ASSERT(event.sequence == next_sequence_);
  if (current_.bytes.size() - offset_ < kRecordMaxBytes) {
    if (Status status = rotate(event.sequence); !status.is_ok()) {
      return fail(status);
    }
  }
  // Bound what a crash can damage (see kUnsyncedBytesMax): sync early if the group is huge.
  if (offset_ + kRecordMaxBytes - synced_offset_ > kUnsyncedBytesMax) {
    if (Status status = sync_current(); !status.is_ok()) {
      return fail(status);
    }
  }
  offset_ += write_record(event, current_.bytes.subspan(offset_));
  ++next_sequence_;
  return Status::ok();
}

Status JournalWriter::sync() {
  if (failed()) {
    return failure_;
  }
  if (Status status = sync_current(); !status.is_ok()) {
    return fail(status);
  }
  durable_sequence_ = next_sequence_ - 1;
  return Status::ok();
}

Status JournalWriter::sync_current() {
  if (offset_ == synced_offset_) {
    return Status::ok();
  }
  if (Status status = storage_.sync(current_, synced_offset_, offset_ - synced_offset_);
      !status.is_ok()) {
    return status;
  }
  synced_offset_ = offset_;
  return Status::ok();
}

Status JournalWriter::rotate(uint64_t first_sequence) {
  // What the full segment holds becomes durable before the journal moves on.
  if (Status status = sync_current(); !status.is_ok()) {
    return status;
  }
  durable_sequence_ = first_sequence - 1;
  if (Status status = storage_.unmap_file(current_); !status.is_ok()) {
    return status;
  }
  if (Status status = activate_segment(segment_index_ + 1, first_sequence); !status.is_ok()) {
    return status;
  }
  return prepare_spare(segment_index_ + 1);
}

Status JournalWriter::activate_segment(uint64_t index, uint64_t first_sequence) {
  const std::string spare = path_of(spare_name(index));
  if (Status status = storage_.map_file(spare, current_); !status.is_ok()) {
    return status;
  }
  const SegmentHeader header =
      make_segment_header(index, first_sequence, now_ns_, current_.bytes.size());
  std::memcpy(current_.bytes.data(), &header, sizeof(header));
  if (Status status = storage_.sync(current_, 0, sizeof(header)); !status.is_ok()) {
    return status;
  }
  // Renamed only once its header is durable: a ".segment" file always has a valid header.
  if (Status status = storage_.rename(spare, path_of(segment_name(index))); !status.is_ok()) {
    return status;
  }
  if (Status status = storage_.sync_directory(config_.directory); !status.is_ok()) {
    return status;
  }
  current_.path = path_of(segment_name(index));
  segment_index_ = index;
  offset_ = sizeof(SegmentHeader);
  synced_offset_ = offset_;
  return Status::ok();
}

Status JournalWriter::prepare_spare(uint64_t index) {
  return storage_.create_file(path_of(spare_name(index)), config_.segment_bytes);
}

}  // namespace tally::journal
