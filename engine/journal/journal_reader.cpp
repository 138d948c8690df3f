#include "engine/journal/journal_reader.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "engine/journal/record_codec.h"
#include "engine/journal/segment_names.h"

namespace tally::journal {
namespace {

// What a zero header followed by written bytes is: a hole in the data.
ReadResult failure_at_hole() {
  ReadResult hole;
  hole.outcome = ReadOutcome::kCorrupt;
  hole.problem = "zeros followed by written data (a hole)";
  return hole;
}

// One segment's scan, with what the whole scan needs to carry on.
class JournalScanner {
 public:
  JournalScanner(Storage& storage, std::string directory, const ScanOptions& options,
                 const EventVisitor& visit)
      : storage_(storage), directory_(std::move(directory)), options_(options), visit_(visit) {}

  ScanResult run();

 private:
  std::string path_of(uint64_t index) const { return directory_ + "/" + segment_name(index); }
  Status corruption(const std::string& file, uint64_t offset, std::string_view problem) const;
  Status scan_segment(uint64_t index, bool last);
  Status remove_segments_after(const std::vector<uint64_t>& indexes, size_t position);
  Status check_header(const MappedFile& file, uint64_t index);
  Status scan_records(MappedFile& file, bool last);
  Status handle_bad_record(MappedFile& file, uint64_t offset, const ReadResult& record, bool last);
  Status zero_from(MappedFile& file, uint64_t offset);

  Storage& storage_;
  std::string directory_;
  const ScanOptions& options_;
  const EventVisitor& visit_;
  ScanResult result_;
  std::optional<uint64_t> expected_sequence_;  // unknown until the first segment's header
  bool truncated_ = false;                     // corruption zeroed on the operator's request
};

Status JournalScanner::corruption(const std::string& file, uint64_t offset,
                                  std::string_view problem) const {
  std::string report = "journal corrupt: " + file + " at offset " + std::to_string(offset);
  if (expected_sequence_) {
    report += ", expecting sequence " + std::to_string(*expected_sequence_);
  }
  report += ": ";
  report += problem;
  return {StatusCode::kCorruption, std::move(report)};
}

ScanResult JournalScanner::run() {
  std::vector<std::string> names;
  if (Status status = storage_.list_directory(directory_, names); !status.is_ok()) {
    result_.status = status;
    return result_;
  }
  std::vector<uint64_t> indexes;
  for (const std::string& name : names) {
    if (const auto index = segment_index_of(name)) {
      indexes.push_back(*index);
    }
  }
  result_.append_position.fresh = indexes.empty();
  for (size_t position = 0; position < indexes.size() && result_.status.is_ok(); ++position) {
    if (position > 0 && indexes[position] != indexes[position - 1] + 1) {
      result_.status = corruption(path_of(indexes[position - 1] + 1), 0, "segment missing");
      break;
    }
    result_.status = scan_segment(indexes[position], position + 1 == indexes.size());
    if (result_.status.is_ok() && truncated_) {
      result_.status = remove_segments_after(indexes, position);
      break;
    }
  }
  // The first sequence of an empty last segment counts too: it was promised to the next event.
  result_.append_position.next_sequence =
      expected_sequence_ ? *expected_sequence_ : result_.last_sequence + 1;
  return result_;
}

Status JournalScanner::remove_segments_after(const std::vector<uint64_t>& indexes,
                                             size_t position) {
  for (size_t later = position + 1; later < indexes.size(); ++later) {
    if (Status status = storage_.remove(path_of(indexes[later])); !status.is_ok()) {
      return status;
    }
  }
  return storage_.sync_directory(directory_);
}

Status JournalScanner::scan_segment(uint64_t index, bool last) {
  MappedFile file;
  if (Status status = storage_.map_file(path_of(index), file); !status.is_ok()) {
    return status;
  }
  Status status = check_header(file, index);
  if (status.is_ok()) {
    status = scan_records(file, last);
  }
  storage_.unmap_file(file);
  return status;
}

Status JournalScanner::check_header(const MappedFile& file, uint64_t index) {
  if (file.bytes.size() < sizeof(SegmentHeader)) {
    return corruption(file.path, 0, "shorter than a segment header");
  }
  SegmentHeader header;
  std::memcpy(&header, file.bytes.data(), sizeof(header));
  if (const std::string_view problem = check_segment_header(header); !problem.empty()) {
    return corruption(file.path, 0, problem);
  }
  if (header.segment_index != index || header.segment_bytes != file.bytes.size()) {
    return corruption(file.path, 0, "header does not match the file's name or size");
  }
  if (expected_sequence_ && header.first_sequence != *expected_sequence_) {
    return corruption(file.path, 0, "first sequence does not follow the previous segment");
  }
  expected_sequence_ = header.first_sequence;
  result_.append_position.segment_index = index;
  return Status::ok();
}

Status JournalScanner::scan_records(MappedFile& file, bool last) {
  uint64_t offset = sizeof(SegmentHeader);
  while (true) {
    result_.append_position.offset = offset;
    const ReadResult record = read_record(file.bytes.subspan(offset));
    if (record.outcome == ReadOutcome::kEnd) {
      // Zeros, but is it the end? Anything written after them means a hole in the data.
      if (all_zero(file.bytes.subspan(offset))) {
        return Status::ok();
      }
      return handle_bad_record(file, offset, failure_at_hole(), last);
    }
    if (record.outcome != ReadOutcome::kRecord) {
      return handle_bad_record(file, offset, record, last);
    }
    if (record.header.sequence != *expected_sequence_) {
      return corruption(file.path, offset,
                        record.header.sequence < *expected_sequence_ ? "sequence goes backwards"
                                                                     : "sequence gap");
    }
    Event event;
    if (!decode_record(record, event)) {
      return corruption(file.path, offset, "malformed event payload");
    }
    if (event.sequence > options_.after_sequence) {
      if (const std::string problem = visit_(event); !problem.empty()) {
        return corruption(file.path, offset, problem);
      }
      ++result_.events_visited;
    }
    result_.last_sequence = event.sequence;
    ++*expected_sequence_;
    offset += record.record_bytes;
  }
}

Status JournalScanner::handle_bad_record(MappedFile& file, uint64_t offset,
                                         const ReadResult& record, bool last) {
  // A crash damages at most the unsynced bytes after the last durable record, in any order
  // (pages are written back as the kernel likes), and only in the last segment: the writer
  // never has more than kUnsyncedBytesMax unsynced. Nothing may be written beyond that window;
  // anything that is cannot come from a crash.
  const uint64_t window_end = std::min<uint64_t>(offset + kUnsyncedBytesMax, file.bytes.size());
  const bool torn = last && all_zero(file.bytes.subspan(window_end));
  if (torn) {
    result_.torn_tail = true;
    result_.torn_tail_file = file.path;
    result_.torn_tail_offset = offset;
    return options_.truncate_torn_tail ? zero_from(file, offset) : Status::ok();
  }
  if (options_.truncate_corruption) {
    truncated_ = true;  // run() drops the segments after this one
    return zero_from(file, offset);
  }
  return corruption(file.path, offset, record.problem);
}

Status JournalScanner::zero_from(MappedFile& file, uint64_t offset) {
  std::fill(file.bytes.begin() + static_cast<ptrdiff_t>(offset), file.bytes.end(), uint8_t{0});
  return storage_.sync(file, offset, file.bytes.size() - offset);
}

}  // namespace

ScanResult scan_journal(Storage& storage, const std::string& directory, const ScanOptions& options,
                        const EventVisitor& visit) {
  return JournalScanner(storage, directory, options, visit).run();
}

}  // namespace tally::journal
