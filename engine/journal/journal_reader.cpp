#include "engine/journal/journal_reader.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "engine/base/invariant.h"
#include "engine/journal/record_codec.h"
#include "engine/journal/segment_cursor.h"
#include "engine/journal/segment_names.h"

namespace tally::journal {
namespace {

// Just past the last non-zero byte of `bytes` (0 if all are zero).
uint64_t written_end_of(std::span<const uint8_t> bytes) {
  const auto last = std::find_if(bytes.rbegin(), bytes.rend(), [](uint8_t byte) { return byte; });
  return static_cast<uint64_t>(bytes.rend() - last);
}

// The whole scan: each segment through one SegmentCursor, with what the scan carries from one
// segment to the next.
class JournalScanner {
 public:
  JournalScanner(Storage& storage, std::string directory, const ScanOptions& options,
                 const EventVisitor& visit)
      : storage_(storage),
        directory_(directory),
        options_(options),
        visit_(visit),
        cursor_(storage, std::move(directory)) {}

  ScanResult run();

 private:
  std::string path_of(uint64_t index) const { return directory_ + "/" + segment_name(index); }
  Status corruption(const std::string& place, std::string_view problem) const;
  Status list_segments();
  Status scan_segment(uint64_t index, bool last);
  Status open_segment(uint64_t index);
  Status scan_records(bool last);
  void describe_damage(std::string_view problem, bool last);

  Storage& storage_;
  std::string directory_;
  const ScanOptions& options_;
  const EventVisitor& visit_;
  SegmentCursor cursor_;
  ScanResult result_;
  std::optional<uint64_t> expected_sequence_;  // unknown until the first segment's header
  Outcome event_;                              // each record is decoded here in turn
};

// "journal corrupt: <file> at offset <n>, expecting sequence <s>: <problem>".
Status JournalScanner::corruption(const std::string& place, std::string_view problem) const {
  std::string where = place;
  if (expected_sequence_) {
    where += ", expecting sequence " + std::to_string(*expected_sequence_);
  }
  return Status::corruption(std::string(problem))
      .with_context(where)
      .with_context("journal corrupt");
}

Status JournalScanner::list_segments() {
  std::vector<std::string> names;
  if (Status status = storage_.list_directory(directory_, names); !status.is_ok()) {
    return status;
  }
  for (const std::string& name : names) {
    if (const auto index = segment_index_of(name)) {
      result_.segments.push_back(*index);
    }
  }
  for (size_t position = 1; position < result_.segments.size(); ++position) {
    if (result_.segments[position] != result_.segments[position - 1] + 1) {
      return corruption(path_of(result_.segments[position - 1] + 1) + " at offset 0",
                        "segment missing (segments " + std::to_string(result_.segments.front()) +
                            " to " + std::to_string(result_.segments.back()) +
                            " are present, not all between)");
    }
  }
  return Status::ok();
}

ScanResult JournalScanner::run() {
  result_.status = list_segments();
  result_.append_position.fresh = result_.segments.empty();
  if (!result_.segments.empty()) {
    result_.append_position.first_segment = result_.segments.front();
  }
  for (size_t position = 0; position < result_.segments.size() && result_.status.is_ok();
       ++position) {
    result_.status =
        scan_segment(result_.segments[position], position + 1 == result_.segments.size());
    if (result_.damage) {
      break;  // the verdict is recovery's; nothing after damage is read
    }
  }
  // The first sequence of an empty last segment counts too: it was promised to the next event.
  result_.append_position.next_sequence =
      expected_sequence_ ? *expected_sequence_ : result_.last_sequence + 1;
  return result_;
}

Status JournalScanner::scan_segment(uint64_t index, bool last) {
  Status status = open_segment(index);
  if (status.is_ok()) {
    status = scan_records(last);
  }
  cursor_.close();  // one segment mapped at a time, as the scan moves on
  return status;
}

Status JournalScanner::open_segment(uint64_t index) {
  if (Status status = cursor_.map(index); !status.is_ok()) {
    if (status.code() == StatusCode::kNotFound) {
      return status;  // vanished while we looked: say so as the storage does
    }
    return corruption(path_of(index) + " at offset 0", "cannot be mapped: " + status.message());
  }
  const std::string place = cursor_.place(0);  // the cursor closes if the header is bad
  if (const Status problem = cursor_.check_header(); !problem.is_ok()) {
    return corruption(place, problem.message());
  }
  const SegmentHeader& header = cursor_.header();
  if (expected_sequence_ && header.first_sequence != *expected_sequence_) {
    return corruption(place, "first sequence does not follow the previous segment");
  }
  if (header.first_sequence == 0) {
    return corruption(place, "first sequence 0 (sequences start at 1)");
  }
  expected_sequence_ = header.first_sequence;
  result_.all_segments_version_1 &= header.format_version == 1;
  result_.append_position.segment_index = index;
  result_.last_segment_records = 0;
  return Status::ok();
}

Status JournalScanner::scan_records(bool last) {
  while (true) {
    const uint64_t offset = cursor_.offset();
    result_.append_position.offset = offset;
    const ReadResult record = cursor_.read();
    if (record.outcome == ReadOutcome::kEnd) {
      // Zeros, but is it the end? Anything written after them means a hole in the data.
      if (!all_zero(cursor_.rest())) {
        describe_damage("zeros followed by written data (a hole)", last);
      }
      return Status::ok();
    }
    if (record.outcome != ReadOutcome::kRecord) {
      describe_damage(record.problem, last);
      return Status::ok();
    }
    if (record.header.sequence != *expected_sequence_) {
      return corruption(cursor_.place(offset), record.header.sequence < *expected_sequence_
                                                   ? "sequence goes backwards"
                                                   : "sequence gap");
    }
    // Events a snapshot already holds are checked (checksum, sequence) but not decoded: their
    // payloads change nothing, and decoding them was two fifths of a restart's scan.
    if (record.header.sequence > options_.after_sequence) {
      if (const Status decoded = decode_record(record, event_); !decoded.is_ok()) {
        return corruption(cursor_.place(offset), decoded.message());
      }
      if (const Status status = visit_(event_); !status.is_ok()) {
        return corruption(cursor_.place(offset), status.message());
      }
      ++result_.events_visited;
    }
    result_.last_sequence = record.header.sequence;
    ++result_.last_segment_records;
    ++*expected_sequence_;
    cursor_.advance(record);
  }
}

void JournalScanner::describe_damage(std::string_view problem, bool last) {
  const uint64_t offset = cursor_.offset();
  JournalDamage damage{.file = cursor_.path(),
                       .segment_index = cursor_.segment_index(),
                       .offset = offset,
                       .sequence = *expected_sequence_,
                       .problem = std::string(problem),
                       .in_last_segment = last,
                       .written_end = written_end_of(cursor_.bytes())};
  TALLY_ASSERT(damage.written_end > offset);
  // Records are 8-byte aligned: look at every aligned place after the damage for one that is
  // still whole. A torn write leaves some; each says how far the journal was synced.
  for (uint64_t position = offset + kRecordAlignment; position < damage.written_end;
       position += kRecordAlignment) {
    const ReadResult later = cursor_.read_at(position);
    if (later.outcome != ReadOutcome::kRecord || later.header.sequence < damage.sequence) {
      continue;
    }
    ++damage.later_records;
    damage.later_sequence_max = std::max(damage.later_sequence_max, later.header.sequence);
    damage.later_synced_floor_max =
        std::max(damage.later_synced_floor_max, synced_floor_of(later.header));
  }
  result_.damage = std::move(damage);
}

}  // namespace

ScanResult scan_journal(Storage& storage, const std::string& directory, const ScanOptions& options,
                        const EventVisitor& visit) {
  return JournalScanner(storage, directory, options, visit).run();
}

}  // namespace tally::journal
