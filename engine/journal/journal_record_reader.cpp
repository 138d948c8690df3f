#include "engine/journal/journal_record_reader.h"

#include <string>

#include "engine/base/invariant.h"
#include "engine/journal/record_codec.h"

namespace tally::journal {

JournalRecordReader::JournalRecordReader(Storage& storage, std::string journal_directory)
    : storage_(storage), journal_directory_(std::move(journal_directory)) {}

void JournalRecordReader::close() {
  segments_.clear();  // each cursor unmaps its segment
}

Result<SegmentCursor*> JournalRecordReader::segment(uint32_t index) {
  while (segments_.size() <= index) {
    segments_.emplace_back(storage_, journal_directory_);
  }
  SegmentCursor& cursor = segments_[index];
  if (!cursor.is_open()) {
    if (Status status = cursor.open(index); !status.is_ok()) {
      return status;
    }
  }
  return &cursor;
}

Result<const JournalRecord*> JournalRecordReader::read(JournalPosition position) {
  const JournalPosition indexed = position;
  for (int segments_tried = 0; segments_tried < 2; ++segments_tried) {
    Result<SegmentCursor*> segment = this->segment(position.segment_index);
    if (!segment.is_ok()) {
      return segment.status();
    }
    SegmentCursor& cursor = **segment;
    cursor.seek(position.offset);
    const ReadResult record = cursor.read();
    if (record.outcome == ReadOutcome::kRecord) {
      if (Status decoded = decode_record(record, record_.event); !decoded.is_ok()) {
        return decoded.with_context(cursor.place(position.offset));
      }
      // Walked on into the next segment: its first record is the one its header promises.
      if (segments_tried > 0 && record_.event.sequence != cursor.header().first_sequence) {
        return Status::corruption("sequence " + std::to_string(record_.event.sequence) +
                                  " where the segment's header says " +
                                  std::to_string(cursor.header().first_sequence) + " is first")
            .with_context(cursor.place(position.offset));
      }
      cursor.advance(record);
      record_.next = cursor.position();
      return &record_;
    }
    // The segment holds no more records: the next one starts after its header.
    position = {position.segment_index + 1, static_cast<uint32_t>(sizeof(SegmentHeader))};
  }
  return Status::corruption("no journal record where one was indexed")
      .with_context(segments_[indexed.segment_index].place(indexed.offset));
}

Result<RecordHeader> JournalRecordReader::read_header(JournalPosition position) {
  Result<SegmentCursor*> segment = this->segment(position.segment_index);
  if (!segment.is_ok()) {
    return segment.status();
  }
  SegmentCursor& cursor = **segment;
  cursor.seek(position.offset);
  const ReadResult record = cursor.read();
  if (record.outcome != ReadOutcome::kRecord) {
    return Status::corruption("no journal record there")
        .with_context(cursor.place(position.offset));
  }
  return record.header;
}

}  // namespace tally::journal
