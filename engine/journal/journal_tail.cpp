#include "engine/journal/journal_tail.h"

#include "engine/journal/journal_format.h"
#include "engine/journal/record_codec.h"
#include "engine/journal/segment_names.h"

namespace tally::journal {

JournalTail::JournalTail(Storage& storage, std::string journal_directory,
                         const AppendPosition& from)
    : storage_(storage),
      journal_directory_(std::move(journal_directory)),
      segment_index_(from.fresh ? 0 : from.segment_index),
      offset_(from.fresh ? sizeof(SegmentHeader) : from.offset),
      next_sequence_(from.next_sequence) {}

JournalTail::~JournalTail() {
  if (!segment_.bytes.empty()) {
    storage_.unmap_file(segment_);
  }
}

std::string JournalTail::segment_path(uint64_t index) const {
  return journal_directory_ + "/" + segment_name(index);
}

std::optional<Outcome> JournalTail::next(uint64_t durable_sequence, Status& status) {
  if (next_sequence_ > durable_sequence) {
    return std::nullopt;
  }
  // The next durable event is in this segment, or (when it holds no more) in the next one.
  for (int segments_tried = 0; segments_tried < 2; ++segments_tried) {
    if (segment_.bytes.empty()) {
      status = storage_.map_file(segment_path(segment_index_), segment_);
      if (!status.is_ok()) {
        return std::nullopt;
      }
    }
    const ReadResult record = read_record(segment_.bytes.subspan(offset_));
    if (record.outcome == ReadOutcome::kRecord) {
      Outcome event;
      if (!decode_record(record, event)) {
        status = {StatusCode::kCorruption, "malformed event in " + segment_.path};
        return std::nullopt;
      }
      // Each reader checks the hand-off: the next record is the next sequence, or the journal
      // is not what it was when recovery read it.
      if (event.sequence != next_sequence_) {
        status = {StatusCode::kCorruption, segment_.path + " at offset " + std::to_string(offset_) +
                                               ": sequence " + std::to_string(event.sequence) +
                                               " where " + std::to_string(next_sequence_) +
                                               " follows"};
        return std::nullopt;
      }
      last_position_ = {static_cast<uint32_t>(segment_index_), static_cast<uint32_t>(offset_)};
      offset_ += record.record_bytes;
      next_sequence_ = event.sequence + 1;
      return event;
    }
    storage_.unmap_file(segment_);
    ++segment_index_;
    offset_ = sizeof(SegmentHeader);
  }
  status = {StatusCode::kCorruption, "sequence " + std::to_string(next_sequence_) +
                                         " is durable but not in the journal's segments"};
  return std::nullopt;
}

}  // namespace tally::journal
