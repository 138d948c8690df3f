// The pieces every query's output shares: the currencies that give amounts their decimal
// places, the schema's names of enums, amounts and times as JSON fields, the paging line.
//
// JSON conventions: an amount is two fields, NAME_minor (the integer) and NAME (the decimal
// in its currency, a string); a time is NAME_ns (Unix nanoseconds) and NAME (RFC 3339 UTC, or
// null when the time is 0: never); enums are the schema's names ("Deposited", "Active").
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/wire/protocol.h"
#include "engine/base/wide_sum.h"
#include "tools/common/json.h"

namespace tally::cli {

// Account id -> currency, for answers that do not carry the currency of every amount (an
// event trail, a search, a balance as of).
class AccountCurrencies {
 public:
  void add(std::string_view account_id, std::string_view currency);
  bool knows(std::string_view account_id) const;
  // Empty if not known.
  std::string currency_of(std::string_view account_id) const;
  // The decimal places of the account's currency; the default if not known.
  size_t decimal_places_of(std::string_view account_id) const;

 private:
  std::map<std::string, std::string, std::less<>> currencies_;
};

std::string text_of(const flatbuffers::String* text);  // empty for a missing string
WideSum wide_of(const protocol::Int128* value);  // 0 for a missing one

// The schema's names; a value newer than this build prints as its number.
std::string event_type_name(EventType type);
std::string command_type_name(protocol::CommandType type);
std::string account_type_name(AccountType type);
std::string account_status_name(AccountStatus status);

// A transaction id as hex without leading zeros; empty when there is none.
std::string transaction_id_text(const protocol::Uint128* id);
// RFC 3339 UTC, or "-" for 0 (never).
std::string time_text(int64_t timestamp_ns);

// The object every answer starts from: {"query":QUERY,"read_sequence":N}, N being how far the
// answering read model had got.
tools::JsonObject answer_object(std::string_view query, uint64_t read_sequence);
// NAME_minor and NAME, as above.
void add_amount(tools::JsonObject& object, std::string_view name, int64_t minor_units,
                size_t decimal_places);
void add_wide_amount(tools::JsonObject& object, std::string_view name, WideSum minor_units,
                     size_t decimal_places);
// NAME_ns and NAME, as above.
void add_time(tools::JsonObject& object, std::string_view name, int64_t timestamp_ns);
void add_bool(tools::JsonObject& object, std::string_view name, bool value);
// `objects` (each already JSON) as an array.
std::string json_array(const std::vector<std::string>& objects);

// Prints `object` on one line of standard output.
void print_json_line(const tools::JsonObject& object);
// A page that stopped before the end: "next: --cursor N" (nothing when next_cursor is 0).
void print_next_cursor(uint64_t next_cursor);

}  // namespace tally::cli
