#include "tools/tally/query_output.h"

#include <cstdio>

#include "engine/wire/query_limits.h"
#include "engine/wire/wire_int128.h"
#include "engine/wire/wire_decoder.h"
#include "tools/tally/amount.h"
#include "tools/tally/currency_minor_units.h"
#include "tools/tally/hex_id.h"
#include "tools/tally/time_text.h"

namespace tally::cli {
namespace {

std::string name_or_number(const char* name, unsigned number) {
  return name != nullptr && *name != '\0' ? std::string(name) : std::to_string(number);
}

}  // namespace

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

std::string text_of(const flatbuffers::String* text) {
  return text == nullptr ? std::string() : text->str();
}

WideSum wide_of(const protocol::Int128* value) {
  return value == nullptr ? WideSum{0} : from_wire_int128(*value);
}

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

std::string transaction_id_text(const protocol::Uint128* id) {
  const Id128 value = to_id128(id);
  return value.is_zero() ? std::string() : to_short_hex(value);
}

std::string time_text(int64_t timestamp_ns) {
  return timestamp_ns == 0 ? "-" : format_time(timestamp_ns);
}

tools::JsonObject answer_object(std::string_view query, uint64_t read_sequence) {
  tools::JsonObject object;
  object.add_text("query", query).add_unsigned("read_sequence", read_sequence);
  return object;
}

void add_amount(tools::JsonObject& object, std::string_view name, int64_t minor_units,
                size_t decimal_places) {
  object.add_signed(std::string(name) + "_minor", minor_units)
      .add_text(name, format_amount(minor_units, decimal_places));
}

void add_wide_amount(tools::JsonObject& object, std::string_view name, WideSum minor_units,
                     size_t decimal_places) {
  // A JSON number has no size limit; the digits are the integer whatever its size.
  object.add_raw(std::string(name) + "_minor", wide_to_string(minor_units))
      .add_text(name, format_wide_amount(minor_units, decimal_places));
}

void add_time(tools::JsonObject& object, std::string_view name, int64_t timestamp_ns) {
  object.add_signed(std::string(name) + "_ns", timestamp_ns);
  if (timestamp_ns == 0) {
    object.add_raw(name, "null");
  } else {
    object.add_text(name, format_time(timestamp_ns));
  }
}

void add_bool(tools::JsonObject& object, std::string_view name, bool value) {
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

void print_json_line(const tools::JsonObject& object) {
  std::printf("%s\n", object.str().c_str());
}

void print_next_cursor(uint64_t next_cursor) {
  if (next_cursor != 0) {
    std::printf("next: --cursor %llu\n", static_cast<unsigned long long>(next_cursor));
  }
}

}  // namespace tally::cli
