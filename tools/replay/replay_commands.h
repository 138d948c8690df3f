// tally-replay's commands, each a function from parsed options to an exit code
// (engine/base/exit_code.h): kOk (0) all is well, kFailed (1) the data is corrupt or repair
// found what to cut, kUsage (2) bad usage or an I/O error. They only read the data directory,
// except repair --cut.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/base/exit_code.h"

namespace tally::replay {

// A data directory holds "journal/" (segments) and "snapshots/".
struct DataDirectory {
  std::string path;
  std::string journal() const { return path + "/journal"; }
  std::string snapshots() const { return path + "/snapshots"; }
};

struct DumpFilter {
  std::optional<std::string> account_id;  // as account or counterparty
  std::optional<std::string> event_type;  // EventType name, e.g. "Deposited"
  uint64_t from_sequence = 0;
  uint64_t to_sequence = UINT64_MAX;
  int64_t from_time_ns = INT64_MIN;
  int64_t to_time_ns = INT64_MAX;
};

struct StatePoint {
  std::optional<uint64_t> at_sequence;
  std::optional<int64_t> at_time_ns;
  std::optional<std::string> write_snapshot_to;  // a directory
};

ExitCode run_verify(const DataDirectory& data);
ExitCode run_dump(const DataDirectory& data, const DumpFilter& filter);
ExitCode run_state(const DataDirectory& data, const StatePoint& point);
ExitCode run_stats(const DataDirectory& data);
// The one command that writes: cuts the journal at its first damage, on the operator's word
// (`cut`); without it, says what it would cut and returns kFailed. Exclusive lock required.
ExitCode run_repair(const DataDirectory& data, bool cut);

}  // namespace tally::replay
