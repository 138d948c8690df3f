// What every printer of printing.h shares: aligned tables, the printed names of the schema's
// enums and of an answer's values, and the JSON fields in printing.h's conventions. Internal to
// tally's printing (printing_*.cpp), which prints on standard output only through these or
// printf.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/base/wide_sum.h"
#include "engine/wire/protocol.h"
#include "tools/common/json.h"

namespace tally::cli {

// ---- Tables -------------------------------------------------------------------------------

// Rows of text printed in aligned columns, two spaces apart.
class TextTable {
 public:
  enum class Align { kLeft, kRight };

  explicit TextTable(std::vector<Align> alignments) : alignments_(std::move(alignments)) {}

  // One cell per column; missing cells are empty.
  void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  // Each row on its own line of standard output; no line ends in spaces.
  void print() const;

 private:
  std::vector<size_t> column_widths() const;
  std::string line_of(const std::vector<std::string>& row, const std::vector<size_t>& widths) const;

  std::vector<Align> alignments_;
  std::vector<std::vector<std::string>> rows_;
};

using Align = TextTable::Align;

// A table of two left-aligned columns: "name  value" lines.
TextTable name_value_table();

// ---- Names and values of answers ----------------------------------------------------------

// The schema's name, or the number of a value this build does not know (a newer server's).
// Result codes print as result_code_text (engine/wire/protocol.h).
std::string event_type_name(EventType type);
std::string command_type_name(protocol::CommandType type);
std::string account_type_name(AccountType type);
std::string account_status_name(AccountStatus status);

// 0 for a missing one.
WideSum wide_of(const protocol::Int128* value);

// A transaction id as hex without leading zeros; empty when there is none.
std::string transaction_id_text(const protocol::Uint128* id);
// A transaction id as a table shows it: as the client gave it (`text`), else as hex (above).
std::string transaction_shown(const flatbuffers::String* text, const protocol::Uint128* id);

// RFC 3339 UTC, or "-" for 0 (never).
std::string time_text(int64_t timestamp_ns);

// ---- JSON ---------------------------------------------------------------------------------

// {"query":QUERY,"read_sequence":N, ...}: how every query's answer starts.
tools::JsonObject answer_object(std::string_view query, uint64_t read_sequence);

// NAME_minor (the integer) and NAME (the decimal in `decimal_places`, a string).
void add_amount(tools::JsonObject& object, std::string_view name, int64_t minor_units,
                size_t decimal_places);
void add_wide_amount(tools::JsonObject& object, std::string_view name, WideSum minor_units,
                     size_t decimal_places);
// NAME_ns and NAME (RFC 3339, or null for 0: never).
void add_time(tools::JsonObject& object, std::string_view name, int64_t timestamp_ns);
void add_bool(tools::JsonObject& object, std::string_view name, bool value);

// `objects` (each already JSON) as an array.
std::string json_array(const std::vector<std::string>& objects);

// The array of `to_json(item)` for every item of an answer's vector (none if it is missing).
template <typename Items, typename ToJson>
std::string json_array_of(const Items* items, ToJson to_json) {
  std::vector<std::string> objects;
  if (items != nullptr) {
    for (const auto* item : *items) {
      objects.push_back(to_json(*item));
    }
  }
  return json_array(objects);
}

// `add_row(item)` for every item of an answer's vector (none if it is missing).
template <typename Items, typename AddRow>
void for_each_item(const Items* items, AddRow add_row) {
  if (items != nullptr) {
    for (const auto* item : *items) {
      add_row(*item);
    }
  }
}

// The object on a line of its own.
void print_json_line(const tools::JsonObject& object);

// A page that stopped before the end: "next: --cursor N" (nothing when next_cursor is 0).
void print_next_cursor(uint64_t next_cursor);

}  // namespace tally::cli
