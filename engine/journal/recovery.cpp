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
  report.duration = std::chrono::steady_clock::now() - started;
  return report;
}

}  // namespace tally::journal
