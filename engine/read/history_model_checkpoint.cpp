// HistoryModel's checkpoints: save() and restore() (read_model.h, checkpoint.h). The entries
// are written as they lie in memory (16 bytes each, one copy per account), which is what makes
// a checkpoint of tens of millions of entries quick to write and to read back. Because an entry
// is a journal position that queries later read without further checks, restore() checks every
// one: in the journal's order within its account, inside a segment that exists, at or before
// the checkpoint's last event, at a time that never goes back.
#include <string>

#include "engine/base/limits.h"
#include "engine/journal/journal_format.h"
#include "engine/journal/segment_cursor.h"
#include "engine/read/history_model.h"
#include "engine/read/state_bytes.h"

namespace tally::read {
namespace {

// A position as one number that orders as the journal does (segment, then offset).
uint64_t order_of(const journal::JournalPosition& position) {
  return (uint64_t{position.segment_index} << 32) | position.offset;
}

// True if `position` can be a record's place at or before `last` in segments of these sizes.
bool is_record_place(const journal::JournalPosition& position, const journal::JournalPosition& last,
                     const std::vector<uint64_t>& segment_bytes) {
  return order_of(position) <= order_of(last) && position.segment_index < segment_bytes.size() &&
         position.offset >= sizeof(journal::SegmentHeader) &&
         position.offset % journal::kRecordAlignment == 0 &&
         position.offset < segment_bytes[position.segment_index];
}

// What is wrong with an account's entries, or "" if nothing.
std::string problem_of(const std::vector<HistoryEntry>& entries, const CheckpointCoverage& covered,
                       const std::vector<uint64_t>& segment_bytes) {
  if (entries.empty() || !entries.front().in_statement()) {
    return "no opening entry";
  }
  uint64_t previous_order = 0;
  int64_t previous_ns = 0;
  for (const HistoryEntry& entry : entries) {
    const journal::JournalPosition position = entry.position();
    if (!is_record_place(position, covered.last_position, segment_bytes) ||
        order_of(position) <= previous_order) {
      return "an entry outside the journal or out of its order";
    }
    if (entry.timestamp_ns() < previous_ns || entry.timestamp_ns() > covered.timestamp_ns) {
      return "an entry whose time goes back or is after the checkpoint";
    }
    previous_order = order_of(position);
    previous_ns = entry.timestamp_ns();
  }
  return "";
}

}  // namespace

void HistoryModel::save(StateWriter& writer) const {
  size_t entries = 0;
  for (const auto& [id, account] : accounts_) {
    entries += account.entries.size();
  }
  writer.reserve(entries * sizeof(HistoryEntry) + accounts_.size() * 64 +
                 search_marks_.size() * sizeof(SearchMark));
  writer.put(events_applied_);
  writer.put(last_sequence_);
  writer.put(last_timestamp_ns_);
  writer.put(static_cast<uint64_t>(search_marks_.size()));
  writer.put_array(search_marks_.data(), search_marks_.size());
  writer.put(static_cast<uint64_t>(rejected_transfer_receivers_.size()));
  for (const auto& [sequence, state] : rejected_transfer_receivers_) {
    writer.put(sequence);
    writer.put(state);
  }
  writer.put(static_cast<uint64_t>(accounts_.size()));
  for (const auto& [id, account] : accounts_) {
    writer.put_text(id);
    writer.put(account.currency.packed());
    writer.put(account.latest);
    writer.put(static_cast<uint64_t>(account.entries.size()));
    writer.put_array(account.entries.data(), account.entries.size());
  }
}

Status HistoryModel::restore(StateReader& reader, const CheckpointCoverage& covered) {
  if (!reader.take(events_applied_) || !reader.take(last_sequence_) ||
      !reader.take(last_timestamp_ns_)) {
    return Status::corruption("history: cut short");
  }
  // The projector checkpoints at the end of a request it handed over: the model's last event.
  if (last_sequence_ != covered.sequence || last_timestamp_ns_ != covered.timestamp_ns ||
      events_applied_ == 0 || events_applied_ > covered.sequence) {
    return Status::corruption("history: the model's last event is not the checkpoint's");
  }
  if (Status status = restore_marks(reader, covered); !status.is_ok()) {
    return status;
  }
  if (Status status = restore_receivers(reader, covered); !status.is_ok()) {
    return status;
  }
  const Result<std::vector<uint64_t>> segment_bytes = segment_sizes(covered);
  if (!segment_bytes.is_ok()) {
    return segment_bytes.status();
  }
  uint64_t count = 0;
  constexpr size_t kAccountBytesMin = 40;  // an empty id, the fixed fields, one entry
  if (!reader.take(count) || count > events_applied_ ||
      !reader.could_hold(count, kAccountBytesMin)) {
    return Status::corruption("history: more accounts than its events or bytes could hold");
  }
  accounts_.reserve(restored_capacity(count));
  for (uint64_t index = 0; index < count; ++index) {
    if (Status status = restore_account(reader, covered, *segment_bytes); !status.is_ok()) {
      return status;
    }
  }
  return Status::ok();
}

Status HistoryModel::restore_marks(StateReader& reader, const CheckpointCoverage& covered) {
  uint64_t count = 0;
  // One mark every kSearchMarkEvery events applied, at the first of them.
  const uint64_t expected = (events_applied_ + kSearchMarkEvery - 1) / kSearchMarkEvery;
  if (!reader.take(count) || count != expected || !reader.take_array(search_marks_, count)) {
    return Status::corruption("history: search marks cut short or not one per " +
                              std::to_string(kSearchMarkEvery) + " events");
  }
  for (size_t index = 0; index < search_marks_.size(); ++index) {
    const SearchMark& mark = search_marks_[index];
    const bool in_order =
        index == 0 || (mark.sequence > search_marks_[index - 1].sequence &&
                       mark.timestamp_ns >= search_marks_[index - 1].timestamp_ns &&
                       order_of(mark.position) > order_of(search_marks_[index - 1].position));
    if (!in_order || mark.sequence > covered.sequence || mark.timestamp_ns > covered.timestamp_ns ||
        order_of(mark.position) > order_of(covered.last_position) ||
        mark.position.offset % journal::kRecordAlignment != 0) {
      return Status::corruption("history: search mark " + std::to_string(index) +
                                " out of order or after the checkpoint");
    }
  }
  return Status::ok();
}

Status HistoryModel::restore_receivers(StateReader& reader, const CheckpointCoverage& covered) {
  uint64_t count = 0;
  constexpr size_t kReceiverBytes = sizeof(uint64_t) + sizeof(AccountState);
  if (!reader.take(count) || count > events_applied_ || !reader.could_hold(count, kReceiverBytes)) {
    return Status::corruption("history: rejected transfers cut short");
  }
  rejected_transfer_receivers_.reserve(count);
  for (uint64_t index = 0; index < count; ++index) {
    uint64_t sequence = 0;
    AccountState state;
    if (!reader.take(sequence) || !reader.take(state) || sequence == 0 ||
        sequence > covered.sequence ||
        !rejected_transfer_receivers_.emplace(sequence, state).second) {
      return Status::corruption("history: rejected transfer " + std::to_string(index) +
                                " cut short, after the checkpoint or listed twice");
    }
  }
  return Status::ok();
}

Status HistoryModel::restore_account(StateReader& reader, const CheckpointCoverage& covered,
                                     const std::vector<uint64_t>& segment_bytes) {
  std::string id;
  uint32_t currency = 0;
  AccountState latest;
  uint64_t entries = 0;
  if (!reader.take_text(id, kAccountIdBytesMax) || id.empty() || !reader.take(currency) ||
      !reader.take(latest) || !reader.take(entries) || entries > 2 * events_applied_) {
    return Status::corruption("history: an account cut short");
  }
  const auto [slot, inserted] = accounts_.try_emplace(std::move(id));
  AccountHistory& account = slot->second;
  account.currency = CurrencyCode::from_packed(currency);
  account.latest = latest;
  if (!inserted || !reader.take_array(account.entries, entries)) {
    return Status::corruption("history: account " + slot->first + " listed twice or cut short");
  }
  const std::optional<CurrencyCode> parsed = CurrencyCode::parse(account.currency.to_string());
  if (!parsed || parsed->packed() != currency || latest.version == 0) {
    return Status::corruption("history: account " + slot->first + " has no currency or version 0");
  }
  if (const std::string problem = problem_of(account.entries, covered, segment_bytes);
      !problem.empty()) {
    return Status::corruption("history: account " + slot->first + ": " + problem);
  }
  return Status::ok();
}

Result<std::vector<uint64_t>> HistoryModel::segment_sizes(const CheckpointCoverage& covered) {
  std::vector<uint64_t> sizes;
  journal::SegmentCursor cursor(storage_, journal_directory_);
  for (uint64_t index = 0; index <= covered.last_position.segment_index; ++index) {
    if (Status status = cursor.open(index); !status.is_ok()) {
      return status;
    }
    sizes.push_back(cursor.bytes().size());
  }
  return sizes;
}

}  // namespace tally::read
