// The answers of the account read model (printing.h): an account's details, a balance, a list
// of accounts, the reserve, the top balances and an account's summary.
#include "tools/tally/printing.h"

#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include "tools/tally/parsers.h"
#include "tools/tally/printing_support.h"

namespace tally::cli {
namespace {

using tools::JsonObject;

// ---- Accounts -----------------------------------------------------------------------------

std::string details_json(const protocol::AccountDetails& account) {
  const std::string currency = text_of(account.currency());
  const size_t places = currency_minor_units(currency);
  JsonObject object;
  object.add_text("account_id", text_of(account.account_id()))
      .add_text("owner", text_of(account.owner()))
      .add_text("type", account_type_name(account.account_type()))
      .add_text("currency", currency)
      .add_text("status", account_status_name(account.status()));
  add_amount(object, "balance", account.balance(), places);
  add_amount(object, "overdraft_limit", account.overdraft_limit(), places);
  object.add_unsigned("version", account.version())
      .add_unsigned("opened_sequence", account.opened_sequence());
  add_time(object, "created", account.created_ns());
  add_time(object, "updated", account.updated_ns());
  object.add_text("freeze_reason", text_of(account.freeze_reason()));
  return object.str();
}

TextTable details_table(const protocol::AccountDetails& account) {
  const size_t places = currency_minor_units(text_of(account.currency()));
  TextTable table = name_value_table();
  table.add_row({"account", text_of(account.account_id())});
  table.add_row({"owner", text_of(account.owner())});
  table.add_row({"type", account_type_name(account.account_type())});
  table.add_row({"currency", text_of(account.currency())});
  table.add_row({"status", account_status_name(account.status())});
  if (account.status() == AccountStatus::Frozen) {
    table.add_row({"freeze_reason", text_of(account.freeze_reason())});
  }
  table.add_row({"balance", format_amount(account.balance(), places)});
  table.add_row({"overdraft_limit", format_amount(account.overdraft_limit(), places)});
  table.add_row({"version", std::to_string(account.version())});
  table.add_row({"opened_sequence", std::to_string(account.opened_sequence())});
  table.add_row({"created", time_text(account.created_ns())});
  table.add_row({"updated", time_text(account.updated_ns())});
  return table;
}

JsonObject balance_json(const protocol::BalanceResult& result, uint64_t read_sequence) {
  const std::string currency = text_of(result.currency());
  JsonObject object = answer_object("balance", read_sequence);
  object.add_text("account_id", text_of(result.account_id())).add_text("currency", currency);
  add_amount(object, "balance", result.balance(), currency_minor_units(currency));
  object.add_unsigned("version", result.version())
      .add_text("status", account_status_name(result.status()));
  return object;
}

std::vector<std::string> account_list_row(const protocol::AccountDetails& account) {
  const std::string currency = text_of(account.currency());
  return {text_of(account.account_id()),
          text_of(account.owner()),
          account_type_name(account.account_type()),
          currency,
          account_status_name(account.status()),
          format_amount(account.balance(), currency_minor_units(currency)),
          std::to_string(account.version())};
}

std::string reserve_json(const protocol::CurrencyReserve& reserve) {
  const std::string currency = text_of(reserve.currency());
  JsonObject object;
  object.add_text("currency", currency);
  add_wide_amount(object, "total_balance", wide_of(reserve.total_balance()),
                  currency_minor_units(currency));
  object.add_unsigned("accounts", reserve.accounts())
      .add_unsigned("active", reserve.active())
      .add_unsigned("frozen", reserve.frozen())
      .add_unsigned("closed", reserve.closed());
  return object.str();
}

std::vector<std::string> reserve_row(const protocol::CurrencyReserve& reserve) {
  const std::string currency = text_of(reserve.currency());
  return {currency,
          format_wide_amount(wide_of(reserve.total_balance()), currency_minor_units(currency)),
          std::to_string(reserve.accounts()),
          std::to_string(reserve.active()),
          std::to_string(reserve.frozen()),
          std::to_string(reserve.closed())};
}

std::string ranked_json(uint64_t rank, const protocol::AccountBalance& account, size_t places) {
  JsonObject object;
  object.add_unsigned("rank", rank)
      .add_text("account_id", text_of(account.account_id()))
      .add_text("owner", text_of(account.owner()));
  add_amount(object, "balance", account.balance(), places);
  return object.str();
}

// One of an account's totals and how many entries made it.
struct Total {
  const char* name;
  const protocol::Int128* amount;
  const char* count_name;
  uint64_t count;
};

std::array<Total, 4> totals_of(const protocol::AccountSummaryResult& result) {
  return {{{"deposited", result.deposited(), "deposits", result.deposits()},
           {"withdrawn", result.withdrawn(), "withdrawals", result.withdrawals()},
           {"transferred_in", result.transferred_in(), "transfers_in", result.transfers_in()},
           {"transferred_out", result.transferred_out(), "transfers_out", result.transfers_out()}}};
}

JsonObject summary_json(const protocol::AccountSummaryResult& result, uint64_t read_sequence) {
  const std::string currency = text_of(result.currency());
  const size_t places = currency_minor_units(currency);
  JsonObject object = answer_object("summary", read_sequence);
  object.add_text("account_id", text_of(result.account_id())).add_text("currency", currency);
  for (const Total& total : totals_of(result)) {
    add_wide_amount(object, total.name, wide_of(total.amount), places);
    object.add_unsigned(total.count_name, total.count);
  }
  object.add_unsigned("rejections", result.rejections());
  add_time(object, "first_activity", result.first_activity_ns());
  add_time(object, "last_activity", result.last_activity_ns());
  return object;
}

TextTable summary_table(const protocol::AccountSummaryResult& result) {
  const std::string currency = text_of(result.currency());
  const size_t places = currency_minor_units(currency);
  TextTable table = name_value_table();
  table.add_row({"account", text_of(result.account_id())});
  table.add_row({"currency", currency});
  for (const Total& total : totals_of(result)) {
    table.add_row({total.name, format_wide_amount(wide_of(total.amount), places)});
    table.add_row({total.count_name, std::to_string(total.count)});
  }
  table.add_row({"rejections", std::to_string(result.rejections())});
  table.add_row({"first_activity", time_text(result.first_activity_ns())});
  table.add_row({"last_activity", time_text(result.last_activity_ns())});
  return table;
}

}  // namespace

// ---- The account read model's answers -----------------------------------------------------

void print_account(const protocol::AccountDetails& account, uint64_t read_sequence, bool json) {
  if (json) {
    print_json_line(
        answer_object("account", read_sequence).add_raw("account", details_json(account)));
    return;
  }
  details_table(account).print();
}

void print_balance(const protocol::BalanceResult& result, uint64_t read_sequence, bool json) {
  if (json) {
    print_json_line(balance_json(result, read_sequence));
    return;
  }
  const std::string currency = text_of(result.currency());
  TextTable table({Align::kLeft, Align::kRight, Align::kLeft, Align::kRight, Align::kLeft});
  table.add_row({"account", "balance", "currency", "version", "status"});
  table.add_row({text_of(result.account_id()),
                 format_amount(result.balance(), currency_minor_units(currency)), currency,
                 std::to_string(result.version()), account_status_name(result.status())});
  table.print();
}

void print_accounts(const protocol::AccountListResult& result, uint64_t read_sequence, bool json) {
  if (json) {
    print_json_line(answer_object("accounts", read_sequence)
                        .add_raw("accounts", json_array_of(result.accounts(), details_json))
                        .add_unsigned("total", result.total())
                        .add_unsigned("next_cursor", result.next_cursor()));
    return;
  }
  TextTable table({Align::kLeft, Align::kLeft, Align::kLeft, Align::kLeft, Align::kLeft,
                   Align::kRight, Align::kRight});
  table.add_row({"account", "owner", "type", "currency", "status", "balance", "version"});
  for_each_item(result.accounts(), [&table](const protocol::AccountDetails& account) {
    table.add_row(account_list_row(account));
  });
  table.print();
  std::printf("total: %llu\n", static_cast<unsigned long long>(result.total()));
  print_next_cursor(result.next_cursor());
}

void print_reserve(const protocol::ReserveResult& result, uint64_t read_sequence, bool json) {
  if (json) {
    print_json_line(answer_object("reserve", read_sequence)
                        .add_raw("currencies", json_array_of(result.currencies(), reserve_json)));
    return;
  }
  TextTable table(
      {Align::kLeft, Align::kRight, Align::kRight, Align::kRight, Align::kRight, Align::kRight});
  table.add_row({"currency", "total_balance", "accounts", "active", "frozen", "closed"});
  for_each_item(result.currencies(), [&table](const protocol::CurrencyReserve& reserve) {
    table.add_row(reserve_row(reserve));
  });
  table.print();
}

void print_top(const protocol::TopAccountsResult& result, uint64_t read_sequence, bool json) {
  const std::string currency = text_of(result.currency());
  const size_t places = currency_minor_units(currency);
  uint64_t rank = 0;
  if (json) {
    const std::string accounts =
        json_array_of(result.accounts(), [&](const protocol::AccountBalance& account) {
          return ranked_json(++rank, account, places);
        });
    print_json_line(answer_object("top", read_sequence)
                        .add_text("currency", currency)
                        .add_raw("accounts", accounts));
    return;
  }
  TextTable table({Align::kRight, Align::kLeft, Align::kLeft, Align::kRight});
  table.add_row({"rank", "account", "owner", "balance"});
  for_each_item(result.accounts(), [&](const protocol::AccountBalance& account) {
    table.add_row({std::to_string(++rank), text_of(account.account_id()), text_of(account.owner()),
                   format_amount(account.balance(), places)});
  });
  table.print();
}

void print_summary(const protocol::AccountSummaryResult& result, uint64_t read_sequence,
                   bool json) {
  if (json) {
    print_json_line(summary_json(result, read_sequence));
    return;
  }
  summary_table(result).print();
}
}  // namespace tally::cli
