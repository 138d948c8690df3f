#include "tools/export/export_rows.h"

#include <array>
#include <string>

#include "engine/base/id_text.h"
#include "engine/wire/protocol.h"

namespace tally::exporter {

namespace {

// A schema enum's name, or its number for one this build does not know.
void add_enum(CopyRows& rows, const char* name, unsigned value) {
  if (*name != '\0') {
    rows.add_text(name);
  } else {
    rows.add_text(std::to_string(value));
  }
}

void add_transaction_id(CopyRows& rows, const Outcome& event) {
  if (const std::string_view given = event.transaction_text(); !given.empty()) {
    rows.add_text(given);
  } else if ((event.flags & kHasTransactionId) != 0) {
    rows.add_text(UuidText(event.transaction_id).view());
  } else {
    rows.add_null();
  }
}

// Only an opening (an accepted one: a rejection's fields are what the ledger reset them to)
// carries what an account is opened with.
bool is_opening(const Outcome& event) {
  return event.type == EventType::AccountOpened;
}

void add_opening_fields(CopyRows& rows, const Outcome& event) {
  if (!is_opening(event)) {
    rows.add_null();
    rows.add_null();
    rows.add_null();
    return;
  }
  rows.add_text(event.currency.to_string());
  add_enum(rows, protocol::EnumNameAccountType(event.account_type),
           static_cast<unsigned>(event.account_type));
  rows.add_bigint(event.overdraft_limit);
}

// The request id as the uuid whose text is its 32 hex digits, as hex_of (and `tally`) print
// it: the high half, then the low half, each most significant byte first.
std::array<uint8_t, 16> uuid_bytes(const Id128& id) {
  std::array<uint8_t, 16> bytes{};
  for (size_t index = 0; index < 8; ++index) {
    const auto shift = static_cast<unsigned>(56 - 8 * index);
    bytes[index] = static_cast<uint8_t>(id.high >> shift);
    bytes[8 + index] = static_cast<uint8_t>(id.low >> shift);
  }
  return bytes;
}

}  // namespace

Status check_event_type(const Outcome& event) {
  if (event.type >= EventType::AccountOpened && event.type <= EventType::CommandRejected) {
    return Status::ok();
  }
  std::string message = "event ";
  message += std::to_string(event.sequence);
  message += " has type ";
  message += std::to_string(static_cast<unsigned>(event.type));
  message += ", which this tally-export does not know: use a newer tally-export";
  return Status::invalid_argument(std::move(message));
}

void append_event_row(CopyRows& rows, const Outcome& event) {
  rows.add_unsigned(event.sequence);
  rows.add_timestamp(event.timestamp_ns);
  rows.add_bigint(event.timestamp_ns);
  add_enum(rows, protocol::EnumNameEventType(event.type), static_cast<unsigned>(event.type));
  add_enum(rows, protocol::EnumNameCommandType(event.command_type),
           static_cast<unsigned>(event.command_type));
  if (const char* result = result_code_name(event.code); *result != '\0') {
    rows.add_text(result);
  } else {
    rows.add_text(result_code_text(event.code));  // "Code<number>", as the tools print it
  }
  rows.add_uuid(uuid_bytes(event.request_id));
  rows.add_integer(static_cast<int32_t>(event.command_index));
  rows.add_text(event.account_id.view());
  rows.add_text_or_null(event.counterparty_id.view());
  rows.add_bigint(event.amount);
  rows.add_bigint(event.balance);
  rows.add_unsigned(event.version);
  if (event.type == EventType::Transferred) {
    rows.add_bigint(event.counterparty_balance);
    rows.add_unsigned(event.counterparty_version);
  } else {
    rows.add_null();
    rows.add_null();
  }
  add_transaction_id(rows, event);
  const bool opening_command = event.command_type == CommandType::OpenAccount;
  const bool freeze_command = event.command_type == CommandType::FreezeAccount;
  rows.add_text_or_null(opening_command ? event.owner_or_reason() : std::string_view());
  rows.add_text_or_null(freeze_command ? event.owner_or_reason() : std::string_view());
  add_opening_fields(rows, event);
  rows.end_row();
}

AccountChanges::Change& AccountChanges::change_of(std::string_view account_id) {
  const auto [found, inserted] = index_.try_emplace(std::string(account_id), changes_.size());
  if (inserted) {
    changes_.emplace_back().account_id = account_id;
  }
  return changes_[found->second];
}

void AccountChanges::set_state(Change& change, const Outcome& event, int64_t balance,
                               uint64_t version) {
  change.balance = balance;
  change.version = version;
  change.updated_ns = event.timestamp_ns;
  change.last_sequence = event.sequence;
}

void AccountChanges::apply(const Outcome& event) {
  if (event.type == EventType::CommandRejected) {
    return;
  }
  Change& change = change_of(event.account_id.view());
  set_state(change, event, event.balance, event.version);
  switch (event.type) {
    case EventType::AccountOpened: {
      Opening& opening = change.opening.emplace();
      opening.owner = event.owner_or_reason();
      opening.currency = event.currency.to_string();
      opening.account_type = event.account_type;
      opening.overdraft_limit = event.overdraft_limit;
      opening.opened_ns = event.timestamp_ns;
      change.status = AccountStatus::Active;
      break;
    }
    case EventType::AccountFrozen:
      change.status = AccountStatus::Frozen;
      break;
    case EventType::AccountUnfrozen:
      change.status = AccountStatus::Active;
      break;
    case EventType::AccountClosed:
      change.status = AccountStatus::Closed;
      break;
    case EventType::Transferred:
      // (a reference into changes_ may move when the destination is new: look it up after)
      set_state(change_of(event.counterparty_id.view()), event, event.counterparty_balance,
                event.counterparty_version);
      break;
    default:
      break;
  }
}

void AccountChanges::append_rows(CopyRows& rows) const {
  for (const Change& change : changes_) {
    rows.add_text(change.account_id);
    if (change.opening) {
      rows.add_text(change.opening->owner);
      rows.add_text(change.opening->currency);
      add_enum(rows, protocol::EnumNameAccountType(change.opening->account_type),
               static_cast<unsigned>(change.opening->account_type));
    } else {
      rows.add_null();
      rows.add_null();
      rows.add_null();
    }
    if (change.status) {
      rows.add_text(protocol::EnumNameAccountStatus(*change.status));
    } else {
      rows.add_null();
    }
    rows.add_bigint(change.balance);
    rows.add_unsigned(change.version);
    if (change.opening) {
      rows.add_bigint(change.opening->overdraft_limit);
      rows.add_timestamp(change.opening->opened_ns);
    } else {
      rows.add_null();
      rows.add_null();
    }
    rows.add_timestamp(change.updated_ns);
    rows.add_unsigned(change.last_sequence);
    rows.end_row();
  }
}

void AccountChanges::clear() {
  changes_.clear();
  index_.clear();
}

}  // namespace tally::exporter
