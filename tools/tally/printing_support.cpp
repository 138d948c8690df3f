// The shared toolkit of printing_support.h, and the shared part of printing.h: text_of and
// AccountCurrencies.
#include "tools/tally/printing_support.h"

#include <algorithm>
#include <cstdio>

#include "engine/wire/wire_decoder.h"
#include "engine/wire/wire_int128.h"
#include "tools/tally/parsers.h"
#include "tools/tally/printing.h"

namespace tally::cli {
namespace {

std::string name_or_number(const char* name, unsigned number) {
  return name != nullptr && *name != '\0' ? std::string(name) : std::to_string(number);
}

}  // namespace

using tools::JsonObject;

// ---- Tables -------------------------------------------------------------------------------

void TextTable::print() const {
  const std::vector<size_t> widths = column_widths();
  for (const std::vector<std::string>& row : rows_) {
    std::printf("%s\n", line_of(row, widths).c_str());
  }
}

std::vector<size_t> TextTable::column_widths() const {
  std::vector<size_t> widths(alignments_.size(), 0);
  for (const std::vector<std::string>& row : rows_) {
    for (size_t column = 0; column < row.size() && column < widths.size(); ++column) {
      widths[column] = std::max(widths[column], row[column].size());
    }
  }
  return widths;
}

std::string TextTable::line_of(const std::vector<std::string>& row,
                               const std::vector<size_t>& widths) const {
  std::string line;
  for (size_t column = 0; column < widths.size(); ++column) {
    const std::string cell = column < row.size() ? row[column] : std::string();
    const std::string padding(widths[column] - cell.size(), ' ');
    if (column > 0) {
      line += "  ";
    }
    line += alignments_[column] == Align::kRight ? padding + cell : cell + padding;
  }
  line.erase(line.find_last_not_of(' ') + 1);  // an empty last cell leaves the gap before it
  return line;
}

TextTable name_value_table() {
  return TextTable({Align::kLeft, Align::kLeft});
}

// ---- Names and values of answers ----------------------------------------------------------

std::string event_type_name(EventType type) {
  return name_or_number(protocol::EnumNameEventType(type), static_cast<unsigned>(type));
}

std::string command_type_name(protocol::CommandType type) {
  return name_or_number(protocol::EnumNameCommandType(type), static_cast<unsigned>(type));
}

std::string account_type_name(AccountType type) {
  return name_or_number(protocol::EnumNameAccountType(type), static_cast<unsigned>(type));
}

std::string account_status_name(AccountStatus status) {
  return name_or_number(protocol::EnumNameAccountStatus(status), static_cast<unsigned>(status));
}

WideSum wide_of(const protocol::Int128* value) {
  return value == nullptr ? WideSum{0} : from_wire_int128(*value);
}

std::string transaction_id_text(const protocol::Uint128* id) {
  const Id128 value = to_id128(id);
  return value.is_zero() ? std::string() : to_short_hex(value);
}

std::string transaction_shown(const flatbuffers::String* text, const protocol::Uint128* id) {
  return text != nullptr && text->size() > 0 ? text->str() : transaction_id_text(id);
}

std::string time_text(int64_t timestamp_ns) {
  return timestamp_ns == 0 ? "-" : format_time(timestamp_ns);
}

// ---- JSON ---------------------------------------------------------------------------------

JsonObject answer_object(std::string_view query, uint64_t read_sequence) {
  JsonObject object;
  object.add_text("query", query).add_unsigned("read_sequence", read_sequence);
  return object;
}

void add_amount(JsonObject& object, std::string_view name, int64_t minor_units,
                size_t decimal_places) {
  object.add_signed(std::string(name) + "_minor", minor_units)
      .add_text(name, format_amount(minor_units, decimal_places));
}

void add_wide_amount(JsonObject& object, std::string_view name, WideSum minor_units,
                     size_t decimal_places) {
  // A JSON number has no size limit; the digits are the integer whatever its size.
  object.add_raw(std::string(name) + "_minor", wide_to_string(minor_units))
      .add_text(name, format_wide_amount(minor_units, decimal_places));
}

void add_time(JsonObject& object, std::string_view name, int64_t timestamp_ns) {
  object.add_signed(std::string(name) + "_ns", timestamp_ns);
  if (timestamp_ns == 0) {
    object.add_raw(name, "null");
  } else {
    object.add_text(name, format_time(timestamp_ns));
  }
}

void add_bool(JsonObject& object, std::string_view name, bool value) {
  object.add_raw(name, value ? "true" : "false");
}

std::string json_array(const std::vector<std::string>& objects) {
  std::string array = "[";
  for (const std::string& object : objects) {
    if (array.size() > 1) {
      array += ',';
    }
    array += object;
  }
  return array + "]";
}

void print_json_line(const JsonObject& object) {
  std::printf("%s\n", object.str().c_str());
}

void print_next_cursor(uint64_t next_cursor) {
  if (next_cursor != 0) {
    std::printf("next: --cursor %llu\n", static_cast<unsigned long long>(next_cursor));
  }
}

// ---- Shared with the queries (printing.h) -------------------------------------------------

std::string text_of(const flatbuffers::String* text) {
  return text == nullptr ? std::string() : text->str();
}

void AccountCurrencies::add(std::string_view account_id, std::string_view currency) {
  if (!currency.empty()) {
    currencies_.insert_or_assign(std::string(account_id), std::string(currency));
  }
}

bool AccountCurrencies::knows(std::string_view account_id) const {
  return currencies_.find(account_id) != currencies_.end();
}

std::string AccountCurrencies::currency_of(std::string_view account_id) const {
  const auto found = currencies_.find(account_id);
  return found == currencies_.end() ? std::string() : found->second;
}

size_t AccountCurrencies::decimal_places_of(std::string_view account_id) const {
  const auto found = currencies_.find(account_id);
  return found == currencies_.end() ? kDefaultMinorUnits : currency_minor_units(found->second);
}

}  // namespace tally::cli
