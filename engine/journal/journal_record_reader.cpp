#include "engine/journal/journal_record_reader.h"

#include "engine/journal/record_codec.h"
#include "engine/journal/segment_names.h"

namespace tally::journal {

JournalRecordReader::JournalRecordReader(Storage& storage, std::string journal_directory)
    : storage_(storage), journal_directory_(std::move(journal_directory)) {}

JournalRecordReader::~JournalRecordReader() {
  close();
}

void JournalRecordReader::close() {
  for (MappedFile& file : segments_) {
    if (!file.bytes.empty()) {
      storage_.unmap_file(file);
    }
  }
  segments_.clear();
}

const MappedFile* JournalRecordReader::segment(uint32_t index, Status& status) {
  if (index >= segments_.size()) {
    segments_.resize(index + 1);
  }
  MappedFile& file = segments_[index];
  if (file.bytes.empty()) {
    status = storage_.map_file(journal_directory_ + "/" + segment_name(index), file);
    if (!status.is_ok()) {
      return nullptr;
    }
  }
  return &file;
}

std::optional<JournalRecord> JournalRecordReader::read(JournalPosition position, Status& status) {
  for (int segments_tried = 0; segments_tried < 2; ++segments_tried) {
    const MappedFile* file = segment(position.segment_index, status);
    if (file == nullptr) {
      return std::nullopt;
    }
    if (position.offset < file->bytes.size()) {
      const ReadResult record = read_record(file->bytes.subspan(position.offset));
      if (record.outcome == ReadOutcome::kRecord) {
        JournalRecord found;
        if (!decode_record(record, found.event)) {
          status = {StatusCode::kCorruption, "malformed event in " + file->path + " at offset " +
                                                 std::to_string(position.offset)};
          return std::nullopt;
        }
        found.next = {position.segment_index,
                      static_cast<uint32_t>(position.offset + record.record_bytes)};
        return found;
      }
    }
    // The segment holds no more records: the next one starts after its header.
    position = {position.segment_index + 1, static_cast<uint32_t>(sizeof(SegmentHeader))};
  }
  status = {StatusCode::kCorruption, "no journal record where one was indexed"};
  return std::nullopt;
}

std::optional<RecordHeader> JournalRecordReader::read_header(JournalPosition position,
                                                             Status& status) {
  const MappedFile* file = segment(position.segment_index, status);
  if (file == nullptr) {
    return std::nullopt;
  }
  if (position.offset < file->bytes.size()) {
    const ReadResult record = read_record(file->bytes.subspan(position.offset));
    if (record.outcome == ReadOutcome::kRecord) {
      return record.header;
    }
  }
  status = {StatusCode::kCorruption,
            "no journal record at offset " + std::to_string(position.offset) + " of " + file->path};
  return std::nullopt;
}

}  // namespace tally::journal
