#include "tools/load/reserve_check.h"

#include <algorithm>
#include <thread>

namespace tally::load {
namespace {

using Clock = std::chrono::steady_clock;

WideSum from_wire(const protocol::Int128& value) {
  // Two's complement halves: value = high * 2^64 + low.
  return static_cast<WideSum>(value.high()) * (static_cast<WideSum>(1) << 64) +
         static_cast<WideSum>(value.low());
}

}  // namespace

std::string to_string(WideSum value) {
  if (value == 0) {
    return "0";
  }
  const bool negative = value < 0;
  // Digit by digit from the remainder's magnitude, which is safe even for the smallest value.
  std::string digits;
  while (value != 0) {
    const auto remainder = static_cast<int>(value % 10);
    digits.push_back(static_cast<char>('0' + (remainder < 0 ? -remainder : remainder)));
    value /= 10;
  }
  if (negative) {
    digits.push_back('-');
  }
  std::reverse(digits.begin(), digits.end());
  return digits;
}

ReserveTotal query_reserve_total(client::Client& client, uint64_t min_sequence,
                                 std::chrono::seconds patience) {
  const Clock::time_point give_up = Clock::now() + patience;
  for (;;) {
    try {
      const client::QueryReply reply =
          client.query(client::Query::reserve().min_sequence(min_sequence));
      const auto* reserve = reply.body<protocol::ReserveResult>();
      if (reserve == nullptr) {
        throw client::ClientError(client::ClientError::Kind::kProtocol,
                                  "the server answered a reserve query with something else");
      }
      ReserveTotal total;
      total.read_sequence = reply.read_sequence();
      if (reserve->currencies() != nullptr) {
        for (const protocol::CurrencyReserve* currency : *reserve->currencies()) {
          if (currency != nullptr && currency->total_balance() != nullptr) {
            total.total += from_wire(*currency->total_balance());
          }
          total.accounts += currency == nullptr ? 0 : currency->accounts();
        }
      }
      return total;
    } catch (const client::ClientError& error) {
      const bool waiting = error.kind() == client::ClientError::Kind::kRefused &&
                           error.code() == ResultCode::Timeout;
      if (!waiting || Clock::now() >= give_up) {
        throw;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

ReserveCheck check_reserve(const ReserveTotal& before, const ReserveTotal& after,
                           uint64_t server_commands, uint64_t run_commands, WideSum net_money_in) {
  if (server_commands > run_commands) {
    return ReserveCheck::skipped("other clients changed the server meanwhile: it counted " +
                                 std::to_string(server_commands) + " commands, this run " +
                                 std::to_string(run_commands));
  }
  const WideSum difference = after.total - before.total;
  ReserveCheck check;
  check.outcome =
      difference == net_money_in ? ReserveCheck::Outcome::kPassed : ReserveCheck::Outcome::kFailed;
  check.detail = "reserve " + to_string(before.total) + " before (read model at " +
                 std::to_string(before.read_sequence) + "), " + to_string(after.total) +
                 " after (at " + std::to_string(after.read_sequence) + "): difference " +
                 to_string(difference) + "; acknowledged net money in " + to_string(net_money_in);
  return check;
}

}  // namespace tally::load
