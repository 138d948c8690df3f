#include "tools/tally/account_printer.h"

#include <cstdio>
#include <string>
#include <vector>

#include "tools/common/json.h"
#include "tools/tally/amount.h"
#include "tools/tally/currency_minor_units.h"
#include "tools/tally/query_output.h"
#include "tools/tally/text_table.h"

namespace tally::cli {
namespace {

using Align = TextTable::Align;

tools::JsonObject details_json(const protocol::AccountDetails& account) {
  const std::string currency = text_of(account.currency());
  const size_t places = currency_minor_units(currency);
  tools::JsonObject object;
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
  return object;
}

}  // namespace

void print_account(const protocol::AccountDetails& account, uint64_t read_sequence, bool json) {
  if (json) {
    print_json_line(
        answer_object("account", read_sequence).add_raw("account", details_json(account).str()));
    return;
  }
  const size_t places = currency_minor_units(text_of(account.currency()));
  TextTable table({Align::kLeft, Align::kLeft});
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
  table.print(stdout);
}

void print_balance(const protocol::BalanceResult& result, uint64_t read_sequence, bool json) {
  const std::string currency = text_of(result.currency());
  const size_t places = currency_minor_units(currency);
  if (json) {
    tools::JsonObject object = answer_object("balance", read_sequence);
    object.add_text("account_id", text_of(result.account_id())).add_text("currency", currency);
    add_amount(object, "balance", result.balance(), places);
    object.add_unsigned("version", result.version())
        .add_text("status", account_status_name(result.status()));
    print_json_line(object);
    return;
  }
  TextTable table({Align::kLeft, Align::kRight, Align::kLeft, Align::kRight, Align::kLeft});
  table.add_row({"account", "balance", "currency", "version", "status"});
  table.add_row({text_of(result.account_id()), format_amount(result.balance(), places), currency,
                 std::to_string(result.version()), account_status_name(result.status())});
  table.print(stdout);
}

void print_accounts(const protocol::AccountListResult& result, uint64_t read_sequence, bool json) {
  const auto* accounts = result.accounts();
  if (json) {
    std::vector<std::string> objects;
    if (accounts != nullptr) {
      for (const protocol::AccountDetails* account : *accounts) {
        objects.push_back(details_json(*account).str());
      }
    }
    print_json_line(answer_object("accounts", read_sequence)
                        .add_raw("accounts", json_array(objects))
                        .add_unsigned("total", result.total())
                        .add_unsigned("next_cursor", result.next_cursor()));
    return;
  }
  TextTable table({Align::kLeft, Align::kLeft, Align::kLeft, Align::kLeft, Align::kLeft,
                   Align::kRight, Align::kRight});
  table.add_row({"account", "owner", "type", "currency", "status", "balance", "version"});
  if (accounts != nullptr) {
    for (const protocol::AccountDetails* account : *accounts) {
      const std::string currency = text_of(account->currency());
      table.add_row({text_of(account->account_id()), text_of(account->owner()),
                     account_type_name(account->account_type()), currency,
                     account_status_name(account->status()),
                     format_amount(account->balance(), currency_minor_units(currency)),
                     std::to_string(account->version())});
    }
  }
  table.print(stdout);
  std::printf("total: %llu\n", static_cast<unsigned long long>(result.total()));
  print_next_cursor(result.next_cursor());
}

void print_reserve(const protocol::ReserveResult& result, uint64_t read_sequence, bool json) {
  const auto* currencies = result.currencies();
  if (json) {
    std::vector<std::string> objects;
    if (currencies != nullptr) {
      for (const protocol::CurrencyReserve* reserve : *currencies) {
        const std::string currency = text_of(reserve->currency());
        tools::JsonObject object;
        object.add_text("currency", currency);
        add_wide_amount(object, "total_balance", wide_of(reserve->total_balance()),
                        currency_minor_units(currency));
        object.add_unsigned("accounts", reserve->accounts())
            .add_unsigned("active", reserve->active())
            .add_unsigned("frozen", reserve->frozen())
            .add_unsigned("closed", reserve->closed());
        objects.push_back(object.str());
      }
    }
    print_json_line(
        answer_object("reserve", read_sequence).add_raw("currencies", json_array(objects)));
    return;
  }
  TextTable table(
      {Align::kLeft, Align::kRight, Align::kRight, Align::kRight, Align::kRight, Align::kRight});
  table.add_row({"currency", "total_balance", "accounts", "active", "frozen", "closed"});
  if (currencies != nullptr) {
    for (const protocol::CurrencyReserve* reserve : *currencies) {
      const std::string currency = text_of(reserve->currency());
      table.add_row(
          {currency,
           format_wide_amount(wide_of(reserve->total_balance()), currency_minor_units(currency)),
           std::to_string(reserve->accounts()), std::to_string(reserve->active()),
           std::to_string(reserve->frozen()), std::to_string(reserve->closed())});
    }
  }
  table.print(stdout);
}

void print_top(const protocol::TopAccountsResult& result, uint64_t read_sequence, bool json) {
  const std::string currency = text_of(result.currency());
  const size_t places = currency_minor_units(currency);
  const auto* accounts = result.accounts();
  if (json) {
    std::vector<std::string> objects;
    uint64_t rank = 0;
    if (accounts != nullptr) {
      for (const protocol::AccountBalance* account : *accounts) {
        tools::JsonObject object;
        object.add_unsigned("rank", ++rank)
            .add_text("account_id", text_of(account->account_id()))
            .add_text("owner", text_of(account->owner()));
        add_amount(object, "balance", account->balance(), places);
        objects.push_back(object.str());
      }
    }
    print_json_line(answer_object("top", read_sequence)
                        .add_text("currency", currency)
                        .add_raw("accounts", json_array(objects)));
    return;
  }
  TextTable table({Align::kRight, Align::kLeft, Align::kLeft, Align::kRight});
  table.add_row({"rank", "account", "owner", "balance"});
  if (accounts != nullptr) {
    uint64_t rank = 0;
    for (const protocol::AccountBalance* account : *accounts) {
      table.add_row({std::to_string(++rank), text_of(account->account_id()),
                     text_of(account->owner()), format_amount(account->balance(), places)});
    }
  }
  table.print(stdout);
}

void print_summary(const protocol::AccountSummaryResult& result, uint64_t read_sequence,
                   bool json) {
  const std::string currency = text_of(result.currency());
  const size_t places = currency_minor_units(currency);
  struct Total {
    const char* name;
    const protocol::Int128* amount;
    const char* count_name;
    uint64_t count;
  };
  const Total totals[] = {
      {"deposited", result.deposited(), "deposits", result.deposits()},
      {"withdrawn", result.withdrawn(), "withdrawals", result.withdrawals()},
      {"transferred_in", result.transferred_in(), "transfers_in", result.transfers_in()},
      {"transferred_out", result.transferred_out(), "transfers_out", result.transfers_out()}};
  if (json) {
    tools::JsonObject object = answer_object("summary", read_sequence);
    object.add_text("account_id", text_of(result.account_id())).add_text("currency", currency);
    for (const Total& total : totals) {
      add_wide_amount(object, total.name, wide_of(total.amount), places);
      object.add_unsigned(total.count_name, total.count);
    }
    object.add_unsigned("rejections", result.rejections());
    add_time(object, "first_activity", result.first_activity_ns());
    add_time(object, "last_activity", result.last_activity_ns());
    print_json_line(object);
    return;
  }
  TextTable table({Align::kLeft, Align::kLeft});
  table.add_row({"account", text_of(result.account_id())});
  table.add_row({"currency", currency});
  for (const Total& total : totals) {
    table.add_row({total.name, format_wide_amount(wide_of(total.amount), places)});
    table.add_row({total.count_name, std::to_string(total.count)});
  }
  table.add_row({"rejections", std::to_string(result.rejections())});
  table.add_row({"first_activity", time_text(result.first_activity_ns())});
  table.add_row({"last_activity", time_text(result.last_activity_ns())});
  table.print(stdout);
}

}  // namespace tally::cli
