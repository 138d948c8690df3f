#include "engine/journal/journal_tail.h"

#include <string>

#include "engine/base/invariant.h"
#include "engine/journal/journal_format.h"
#include "engine/journal/record_codec.h"

namespace tally::journal {
namespace {

// A position as one number that orders as the journal does (segment, then offset).
uint64_t order_of(const JournalPosition& position) {
  return (uint64_t{position.segment_index} << 32) | position.offset;
}

}  // namespace

JournalTail::JournalTail(Storage& storage, std::string journal_directory,
                         const AppendPosition& from)
    : cursor_(storage, std::move(journal_directory)),
      resume_segment_(from.fresh ? 0 : from.segment_index),
      resume_offset_(from.fresh ? sizeof(SegmentHeader) : from.offset),
      next_sequence_(from.next_sequence) {}

Result<const Outcome*> JournalTail::next(uint64_t durable_sequence) {
  if (next_sequence_ > durable_sequence) {
    return nullptr;
  }
  // The next durable event is in this segment, or (when it holds no more) in the next one.
  for (int segments_tried = 0; segments_tried < 2; ++segments_tried) {
    if (!cursor_.is_open()) {
      if (Status status = cursor_.open(resume_segment_); !status.is_ok()) {
        return status;
      }
      cursor_.seek(resume_offset_);
    }
    const ReadResult record = cursor_.read();
    if (record.outcome == ReadOutcome::kRecord) {
      if (Status decoded = decode_record(record, event_); !decoded.is_ok()) {
        return decoded.with_context(cursor_.place(cursor_.offset()));
      }
      // Each reader checks the hand-off: the next record is the next sequence, or the journal
      // is not what it was when recovery read it.
      if (event_.sequence != next_sequence_) {
        return Status::corruption("sequence " + std::to_string(event_.sequence) + " where " +
                                  std::to_string(next_sequence_) + " follows")
            .with_context(cursor_.place(cursor_.offset()));
      }
      const JournalPosition position = cursor_.position();
      // Positions only move forward (the first record too: {0, 0} is a segment header's place).
      TALLY_ASSERT(order_of(last_position_) < order_of(position));
      last_position_ = position;
      cursor_.advance(record);
      ++next_sequence_;
      return &event_;
    }
    resume_segment_ = cursor_.segment_index() + 1;
    resume_offset_ = sizeof(SegmentHeader);
    cursor_.close();
  }
  return Status::corruption("sequence " + std::to_string(next_sequence_) +
                            " is durable but not in the journal's segments");
}

}  // namespace tally::journal
