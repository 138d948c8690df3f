#include "engine/read/durable_event_reader.h"

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "engine/base/invariant.h"
#include "engine/journal/journal_format.h"
#include "engine/journal/segment_cursor.h"
#include "engine/journal/segment_names.h"

namespace tally::read {
namespace {

// Records read per call at most, handed out or not: skipping to a sequence deep in a segment
// takes several calls instead of one long one, so the caller keeps serving others meanwhile.
constexpr size_t kRecordsPerReadMax = 65'536;

Status not_found(std::string message) {
  return {StatusCode::kNotFound, std::move(message)};
}

Result<std::vector<uint64_t>> segment_indexes(journal::Storage& storage,
                                              const std::string& journal_directory) {
  std::vector<std::string> names;
  if (Status status = storage.list_directory(journal_directory, names); !status.is_ok()) {
    return status;
  }
  std::vector<uint64_t> indexes;
  for (const std::string& name : names) {
    if (std::optional<uint64_t> index = journal::segment_index_of(name)) {
      indexes.push_back(*index);
    }
  }
  std::sort(indexes.begin(), indexes.end());
  return indexes;
}

Result<uint64_t> first_sequence_of(journal::Storage& storage, const std::string& journal_directory,
                                   uint64_t segment_index) {
  journal::SegmentCursor cursor(storage, journal_directory);
  if (Status status = cursor.open(segment_index); !status.is_ok()) {
    return status;
  }
  return cursor.header().first_sequence;
}

// Where reading must start for `from_sequence`: the start of the last segment whose first
// sequence is at most it (a binary search over the segments' headers).
Result<journal::AppendPosition> position_for(journal::Storage& storage,
                                             const std::string& journal_directory,
                                             uint64_t from_sequence) {
  Result<std::vector<uint64_t>> indexes = segment_indexes(storage, journal_directory);
  if (!indexes.is_ok()) {
    return indexes.status();
  }
  if (indexes->empty()) {
    if (from_sequence == 1) {
      return journal::AppendPosition{};  // a fresh journal: its first segment is still to come
    }
    return not_found("the journal has no segments");
  }
  size_t low = 0;  // the answer is in [low, high)
  size_t high = indexes->size();
  std::optional<uint64_t> found_first;
  while (low < high) {
    const size_t middle = low + (high - low) / 2;
    Result<uint64_t> first = first_sequence_of(storage, journal_directory, (*indexes)[middle]);
    if (!first.is_ok()) {
      return first.status();
    }
    if (*first <= from_sequence) {
      found_first = *first;
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  if (!found_first) {
    return not_found("sequence " + std::to_string(from_sequence) +
                     " is before the journal's first event");
  }
  journal::AppendPosition position;
  position.fresh = false;
  position.segment_index = (*indexes)[low - 1];
  position.offset = sizeof(journal::SegmentHeader);
  position.next_sequence = *found_first;
  return position;
}

}  // namespace

Result<std::unique_ptr<DurableEventReader>> DurableEventReader::open(
    journal::Storage& storage, const std::string& journal_directory, uint64_t from_sequence,
    uint64_t durable_sequence) {
  TALLY_ASSERT(from_sequence >= 1);
  if (from_sequence > durable_sequence + 1) {
    return not_found("sequence " + std::to_string(from_sequence) +
                     " is past the journal's durable end (" + std::to_string(durable_sequence) +
                     ")");
  }
  Result<journal::AppendPosition> position =
      position_for(storage, journal_directory, from_sequence);
  if (!position.is_ok()) {
    return position.status();
  }
  return std::unique_ptr<DurableEventReader>(
      new DurableEventReader(storage, journal_directory, *position, from_sequence));
}

DurableEventReader::DurableEventReader(journal::Storage& storage, std::string journal_directory,
                                       const journal::AppendPosition& position)
    : DurableEventReader(storage, std::move(journal_directory), position, position.next_sequence) {}

DurableEventReader::DurableEventReader(journal::Storage& storage, std::string journal_directory,
                                       const journal::AppendPosition& position,
                                       uint64_t from_sequence)
    : tail_(storage, std::move(journal_directory), position), from_sequence_(from_sequence) {
  // Reading starts at a request's start (a segment's first record, or where recovery ended),
  // or before one: nothing before the position is pending.
  requests_.reset(position.next_sequence - 1);
}

Result<size_t> DurableEventReader::read(uint64_t durable_sequence, size_t events_max,
                                        std::vector<Outcome>& out) {
  size_t appended = 0;
  for (size_t records = 0; appended < events_max && records < kRecordsPerReadMax; ++records) {
    Result<const Outcome*> next = tail_.next(durable_sequence);
    if (!next.is_ok()) {
      return next.status();
    }
    if (*next == nullptr) {
      break;  // nothing more is durable yet
    }
    for (const Outcome& event : requests_.add(**next)) {
      if (event.sequence >= from_sequence_) {
        out.push_back(event);
        ++appended;
      }
    }
  }
  return appended;
}

uint64_t DurableEventReader::covered_through() const {
  return std::max(from_sequence_ - 1, requests_.complete_through());
}

}  // namespace tally::read
