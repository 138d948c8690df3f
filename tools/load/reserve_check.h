// ReserveCheck: the read side's view of the money, checked against the acknowledged results.
//
// The reserve (ReserveQuery, every currency) sums the balances of every account the server
// holds, this run's and every earlier one's. So tally-load reads it twice: before opening its
// accounts (waiting for the stats' durable sequence) and after the run (waiting for the
// highest sequence it had acknowledged). The difference must be exactly the money this run's
// acknowledged commands put in: initial deposits and deposits less withdrawals (transfers
// net to zero). Meaningful only if no other client changed the server meanwhile: when the
// server counted more commands than this run acknowledged, the check is skipped, saying so.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include "net/client/client.h"

namespace tally::load {

// Sums of amounts, which can pass the range of an int64 over all accounts.
__extension__ typedef __int128 WideSum;

std::string to_string(WideSum value);

struct ReserveTotal {
  WideSum total = 0;           // over every currency
  uint64_t accounts = 0;       // over every currency
  uint64_t read_sequence = 0;  // how far the answering read model had got
};

// Asks for the reserve once the read model has applied `min_sequence`, asking again while the
// server answers Timeout (a read model catching up) for up to `patience`. Throws ClientError.
ReserveTotal query_reserve_total(client::Client& client, uint64_t min_sequence,
                                 std::chrono::seconds patience = std::chrono::seconds(60));

struct ReserveCheck {
  enum class Outcome { kNotRun, kSkipped, kPassed, kFailed };
  Outcome outcome = Outcome::kNotRun;
  std::string detail;  // what was compared, or why it was skipped or could not be done

  static ReserveCheck skipped(std::string why) { return {Outcome::kSkipped, std::move(why)}; }
  static ReserveCheck failed(std::string why) { return {Outcome::kFailed, std::move(why)}; }
  bool failed() const { return outcome == Outcome::kFailed; }
};

// `server_commands`: the commands the server counted between the two reserve reads;
// `run_commands`: the commands this run had acknowledged (openings included); `net_money_in`:
// what they put in, less what they took out.
ReserveCheck check_reserve(const ReserveTotal& before, const ReserveTotal& after,
                           uint64_t server_commands, uint64_t run_commands, WideSum net_money_in);

}  // namespace tally::load
