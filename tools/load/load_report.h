// LoadReport: the figures of one tally-load run, printed for people or as one JSON object.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "net/protocol/messages.h"
#include "tools/load/load_options.h"
#include "tools/load/load_worker.h"
#include "tools/load/reserve_check.h"

namespace tally::load {

struct TotalsCheck {
  bool performed = false;
  bool passed = false;
  std::string detail;  // what was compared, or why it was skipped
};

struct LoadReport {
  const LoadOptions& options;
  double seconds = 0;       // measured run time, drain included
  double open_seconds = 0;  // opening the accounts, before the run
  WorkerTally tally;
  TotalsCheck check;
  ReserveCheck reserve;
  std::optional<LatencyHistogram> echo;  // --echo-baseline: bare TCP echo round trips
  std::optional<LatencyHistogram> sync;  // --sync-baseline: appends each made durable
};

// Compares the server's counters before and after the run with what the acknowledged results
// imply. Meaningful only if tally-load was the server's only client meanwhile.
TotalsCheck check_totals(const net::ServerStats& before, const net::ServerStats& after,
                         const WorkerTally& tally);

void print_text(const LoadReport& report);
void print_json(const LoadReport& report);

}  // namespace tally::load
