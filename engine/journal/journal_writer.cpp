#include "engine/journal/journal_writer.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "engine/base/invariant.h"
#include "engine/journal/journal_manifest.h"
#include "engine/journal/record_codec.h"
#include "engine/journal/segment_names.h"

namespace tally::journal {
namespace {

bool is_spare(const std::string& name) {
  return name.size() > kSpareSuffix.size() && name.ends_with(kSpareSuffix);
}

// Records wait here between writes: a group is one write unless it outgrows this.
constexpr size_t kBufferBytes = 256 * 1024;
static_assert(kBufferBytes >= kRecordBytesMax);

// A write ends at a page boundary, the rest of its last page written with the zeros the file
// holds there already: writing only part of a page that the page cache does not hold makes the
// kernel read it from the disk first, and the preparer writes a segment's zeros around the
// cache, so that would be one read per group on the journaler's thread.
constexpr uint64_t kPageBytes = 4096;

uint64_t page_end(uint64_t offset) {
  return (offset + kPageBytes - 1) / kPageBytes * kPageBytes;
}

}  // namespace

JournalWriter::JournalWriter(Storage& storage, JournalWriterConfig config)
    : storage_(storage),
      config_(std::move(config)),
      preparer_(storage,
                config_.prepare_in_background ? Preparation::kBackground : Preparation::kInline),
      buffer_(kBufferBytes + kPageBytes),  // room for a page's zeros after the records
      durable_mark_(storage) {
  TALLY_ASSERT(config_.segment_bytes >= sizeof(SegmentHeader) + kRecordBytesMax);
  TALLY_ASSERT(config_.segment_bytes <= UINT32_MAX);  // JournalPosition keeps 32-bit offsets
}

JournalWriter::~JournalWriter() {
  if (current_.descriptor >= 0) {
    storage_.close_file(current_);
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
  synced_sequence_ = durable_sequence_;
  written_sequence_ = durable_sequence_;
  std::vector<std::string> names;
  if (Status status = storage_.list_directory(config_.directory, names); !status.is_ok()) {
    return fail(status);
  }
  if (position.fresh && std::any_of(names.begin(), names.end(), [](const std::string& name) {
        return segment_index_of(name).has_value();
      })) {
    // Fresh means no segment at all: never start over a journal recovery did not see.
    return fail({StatusCode::kInvalidArgument,
                 "journal " + config_.directory + " already has segments: recover it first"});
  }
  // Spares left by an earlier run may be half made, or stale (one past a segment that is gone
  // would make the next rotation fail): all are made anew.
  for (const std::string& name : names) {
    if (is_spare(name)) {
      storage_.remove(path_of(name));
    }
  }
  // A damaged or unreadable manifest is recovery's to refuse; the writer only continues its count.
  if (const auto manifest = read_manifest(storage_, config_.directory);
      manifest.is_ok() && manifest->has_value()) {
    manifest_generation_ = (*manifest)->generation;
  }
  if (position.fresh) {
    // Space reserved only, not prewritten: a new journal answers in milliseconds, and its first
    // segment's syncs convert extents as they go (the preparer prewrites every later one).
    if (Status status = storage_.create_file(path_of(spare_name(0)), config_.segment_bytes);
        !status.is_ok()) {
      return fail(status);
    }
    if (Status status = activate_segment(0, position.next_sequence); !status.is_ok()) {
      return fail(status);
    }
  } else {
    segment_index_ = position.segment_index;
    first_segment_ = position.first_segment;
    if (Status status = storage_.open_for_writing(path_of(segment_name(segment_index_)), current_);
        !status.is_ok()) {
      return fail(status);
    }
    offset_ = position.offset;
    written_offset_ = position.offset;
    synced_offset_ = position.offset;
  }
  if (Status status = durable_mark_.open(config_.directory); !status.is_ok()) {
    return fail(status);
  }
  durable_mark_.store(synced_sequence_);
  if (Status status = write_manifest_now(false); !status.is_ok()) {
    return fail(status);
  }
  if (Status status = prepare_spare(segment_index_ + 1); !status.is_ok()) {
    return fail(status);
  }
  return Status::ok();
}

Status JournalWriter::append(const Outcome& event) {
  if (failed()) {
    return failure_;
  }
  TALLY_ASSERT(!closed_);
  TALLY_ASSERT(!event.is_replayed_answer());
  TALLY_ASSERT(event.sequence == next_sequence_);
  if (current_.bytes - offset_ < kRecordBytesMax) {
    if (Status status = rotate(event.sequence); !status.is_ok()) {
      return fail(status);
    }
  }
  // Bound what a crash can damage (see kUnsyncedBytesMax): sync early if the group is huge.
  if (offset_ + kRecordBytesMax - synced_offset_ > kUnsyncedBytesMax) {
    if (Status status = sync_current(); !status.is_ok()) {
      return fail(status);
    }
  }
  // A distance too large for the field is written as unknown: a smaller one would claim more.
  const uint64_t distance = event.sequence - synced_sequence_;
  TALLY_ASSERT(distance >= 1);
  const uint32_t recorded_distance =
      distance <= std::numeric_limits<uint32_t>::max() ? static_cast<uint32_t>(distance) : 0;
  if (kBufferBytes - buffered_bytes_ < kRecordBytesMax) {
    if (Status status = write_buffered(); !status.is_ok()) {
      return fail(status);
    }
  }
  const size_t size =
      write_record(event, std::span(buffer_).subspan(buffered_bytes_), recorded_distance);
  buffered_bytes_ += size;
  offset_ += size;
  appended_bytes_ += size;
  ++next_sequence_;
  return Status::ok();
}

Status JournalWriter::flush() {
  if (failed()) {
    return failure_;
  }
  if (Status status = write_buffered(); !status.is_ok()) {
    return fail(status);
  }
  return Status::ok();
}

Status JournalWriter::write_buffered() {
  if (buffered_bytes_ == 0) {
    return Status::ok();
  }
  TALLY_ASSERT(written_offset_ + buffered_bytes_ == offset_);
  const uint64_t padded_bytes = std::min(page_end(offset_), current_.bytes) - written_offset_;
  std::fill(buffer_.begin() + static_cast<ptrdiff_t>(buffered_bytes_),
            buffer_.begin() + static_cast<ptrdiff_t>(padded_bytes), uint8_t{0});
  if (Status status =
          storage_.write(current_, written_offset_, std::span(buffer_).first(padded_bytes));
      !status.is_ok()) {
    return status;
  }
  buffered_bytes_ = 0;
  written_offset_ = offset_;
  written_sequence_ = next_sequence_ - 1;
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

Status JournalWriter::close() {
  if (Status status = sync(); !status.is_ok()) {
    return status;
  }
  closed_ = true;
  if (Status status = write_manifest_now(true); !status.is_ok()) {
    return fail(status);
  }
  return Status::ok();
}

Status JournalWriter::sync_current() {
  if (offset_ == synced_offset_) {
    return Status::ok();
  }
  if (Status status = write_buffered(); !status.is_ok()) {
    return status;
  }
  if (Status status = storage_.sync(current_); !status.is_ok()) {
    return status;
  }
  ++syncs_;
  synced_offset_ = offset_;
  TALLY_ASSERT(synced_sequence_ <= next_sequence_ - 1);
  synced_sequence_ = next_sequence_ - 1;
  durable_mark_.store(synced_sequence_);  // only after the sync returned: the mark never lies
  return Status::ok();
}

Status JournalWriter::write_manifest_now(bool clean) {
  ++manifest_generation_;
  return write_manifest(storage_, config_.directory,
                        {.generation = manifest_generation_,
                         .first_segment = first_segment_,
                         .last_segment = segment_index_,
                         .durable_sequence = synced_sequence_,
                         .clean = clean});
}

Status JournalWriter::rotate(uint64_t first_sequence) {
  // What the full segment holds becomes durable before the journal moves on.
  if (Status status = sync_current(); !status.is_ok()) {
    return status;
  }
  TALLY_ASSERT(synced_sequence_ == first_sequence - 1);
  durable_sequence_ = first_sequence - 1;
  if (Status status = storage_.close_file(current_); !status.is_ok()) {
    return status;
  }
  if (Status status = activate_segment(segment_index_ + 1, first_sequence); !status.is_ok()) {
    return status;
  }
  // The manifest names the new segment before any record goes into it: a segment past the
  // manifest's last can only be one whose rotation a crash interrupted, and it is empty.
  if (Status status = write_manifest_now(false); !status.is_ok()) {
    return status;
  }
  return prepare_spare(segment_index_ + 1);
}

Status JournalWriter::activate_segment(uint64_t index, uint64_t first_sequence) {
  if (Status status = preparer_.finish(); !status.is_ok()) {
    return status;
  }
  const std::string spare = path_of(spare_name(index));
  if (Status status = storage_.open_for_writing(spare, current_); !status.is_ok()) {
    return status;
  }
  const SegmentHeader header = make_segment_header(index, first_sequence, now_ns_, current_.bytes);
  if (Status status = storage_.write(
          current_, 0, std::span(reinterpret_cast<const uint8_t*>(&header), sizeof(header)));
      !status.is_ok()) {
    return status;
  }
  if (Status status = storage_.sync(current_); !status.is_ok()) {
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
  written_offset_ = offset_;
  synced_offset_ = offset_;
  return Status::ok();
}

Status JournalWriter::prepare_spare(uint64_t index) {
  return preparer_.begin(path_of(spare_name(index)), config_.segment_bytes);
}

}  // namespace tally::journal
