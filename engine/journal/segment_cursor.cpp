#include "engine/journal/segment_cursor.h"

#include <cstring>
#include <string>
#include <utility>

#include "engine/base/invariant.h"
#include "engine/journal/segment_names.h"

namespace tally::journal {

SegmentCursor::SegmentCursor(Storage& storage, std::string journal_directory)
    : storage_(storage), journal_directory_(std::move(journal_directory)) {}

SegmentCursor::SegmentCursor(SegmentCursor&& other) noexcept
    : storage_(other.storage_),
      journal_directory_(std::move(other.journal_directory_)),
      file_(std::move(other.file_)),
      header_(other.header_),
      header_checked_(other.header_checked_),
      segment_index_(other.segment_index_),
      offset_(other.offset_) {
  other.file_ = MappedFile{};  // the mapping is this cursor's now: `other` must not unmap it
  other.header_checked_ = false;
}

SegmentCursor::~SegmentCursor() {
  close();
}

void SegmentCursor::close() {
  if (is_open()) {
    storage_.unmap_file(file_);
  }
  file_ = MappedFile{};
  header_checked_ = false;
}

Status SegmentCursor::open(uint64_t index) {
  if (Status status = map(index); !status.is_ok()) {
    return status;
  }
  if (Status problem = header_problem(); !problem.is_ok()) {
    problem = problem.with_context(place(0));
    close();
    return problem;
  }
  accept_header();
  return Status::ok();
}

Status SegmentCursor::map(uint64_t index) {
  close();
  if (Status status = storage_.map_file(journal_directory_ + "/" + segment_name(index), file_);
      !status.is_ok()) {
    file_ = MappedFile{};
    return status;
  }
  segment_index_ = index;
  offset_ = 0;
  return Status::ok();
}

Status SegmentCursor::check_header() {
  if (Status problem = header_problem(); !problem.is_ok()) {
    close();
    return problem;
  }
  accept_header();
  return Status::ok();
}

Status SegmentCursor::header_problem() {
  TALLY_ASSERT(is_open() && !header_checked_);
  if (file_.bytes.size() < sizeof(SegmentHeader)) {
    return Status::corruption("shorter than a segment header (" +
                              std::to_string(file_.bytes.size()) + " bytes)");
  }
  std::memcpy(&header_, file_.bytes.data(), sizeof(header_));
  if (Status problem = check_segment_header(header_); !problem.is_ok()) {
    return problem;
  }
  if (header_.segment_index != segment_index_ || header_.segment_bytes != file_.bytes.size()) {
    return Status::corruption("header does not match the file's name or size");
  }
  return Status::ok();
}

void SegmentCursor::accept_header() {
  header_checked_ = true;
  offset_ = sizeof(SegmentHeader);
}

std::string SegmentCursor::place(uint64_t offset) const {
  return file_.path + " at offset " + std::to_string(offset);
}

}  // namespace tally::journal
