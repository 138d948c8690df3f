#include "engine/journal/recovery.h"

namespace tally::journal {

RecoveryReport recover(Storage& storage, const std::string& directory, Ledger& ledger,
                       const ScanOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  const ScanResult scan = scan_journal(storage, directory, options,
                                       [&](const Event& event) { return ledger.replay(event); });
  RecoveryReport report;
  report.status = scan.status;
  report.events_replayed = scan.events_visited;
  report.last_sequence = scan.last_sequence;
  report.append_position = scan.append_position;
  report.torn_tail = scan.torn_tail;
  report.torn_tail_file = scan.torn_tail_file;
  report.torn_tail_offset = scan.torn_tail_offset;
  // Reconcile with the snapshot: the journal must reach it, or be empty (then it starts after
  // the snapshot).
  const uint64_t snapshot_sequence = options.after_sequence;
  if (report.status.is_ok() && report.append_position.fresh) {
    report.append_position.next_sequence = snapshot_sequence + 1;
    report.last_sequence = snapshot_sequence;
  } else if (report.status.is_ok() && report.append_position.next_sequence <= snapshot_sequence) {
    report.status = {StatusCode::kCorruption,
                     "journal ends at sequence " + std::to_string(report.last_sequence) +
                         ", before the snapshot at " + std::to_string(snapshot_sequence)};
  }
  report.duration = std::chrono::steady_clock::now() - started;
  return report;
}

}  // namespace tally::journal
