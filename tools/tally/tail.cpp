#include "tools/tally/tail.h"

#include <cstdio>
#include <optional>
#include <string>

#include "engine/base/exit_code.h"
#include "net/client/subscriber.h"
#include "tools/tally/parsers.h"
#include "tools/tally/printing.h"
#include "tools/tally/queries.h"

namespace tally::cli {
namespace {

EventType event_type_of(const std::string& name) {
  if (const std::optional<EventType> type = event_type_named(name)) {
    return *type;
  }
  throw UsageError("unknown event type \"" + name +
                   "\" (AccountOpened, Deposited, Withdrawn, Transferred, AccountFrozen, "
                   "AccountUnfrozen, AccountClosed, CommandRejected)");
}

// The currencies of the accounts the events name: an opening says its own; the others are
// asked of the server once (as of the event), so amounts print in their currency.
void learn_currencies(const protocol::Event& event, AccountCurrencyLookup& lookup,
                      AccountCurrencies& currencies) {
  if (event.type() == EventType::AccountOpened && event.currency() != nullptr) {
    currencies.add(text_of(event.account_id()), text_of(event.currency()));
    return;
  }
  for (const flatbuffers::String* account : {event.account_id(), event.counterparty_id()}) {
    const std::string id = text_of(account);
    if (!id.empty() && !currencies.knows(id)) {
      if (std::optional<std::string> currency = lookup.find(id, event.sequence())) {
        currencies.add(id, *currency);
      }
    }
  }
}

}  // namespace

CLI::App* add_tail(CLI::App& app, TailOptions& options) {
  CLI::App* tail = app.add_subcommand(
      "tail", "follow the ledger's durable events as they happen (Ctrl-C to stop)");
  tail->add_option("--from", options.from_sequence,
                   "the first sequence to print (1: the whole journal); default: from now");
  tail->add_option("--account", options.account_id, "only this account's events (either side)");
  tail->add_option("--type", options.types, "only events of this type (repeatable)");
  tail->add_option("--count", options.count, "stop after this many events");
  return tail;
}

int run_tail(const client::ClientOptions& client_options, const TailOptions& options, bool json) {
  client::SubscriberOptions subscription;
  subscription.account_id = options.account_id;
  for (const std::string& name : options.types) {
    subscription.event_types.push_back(event_type_of(name));
  }
  client::Client lookups(client_options);
  lookups.connect();
  subscription.from_sequence =
      options.from_sequence != 0 ? options.from_sequence : lookups.stats().durable_sequence + 1;
  client::Subscriber subscriber(client_options, subscription);
  AccountCurrencyLookup lookup(lookups);
  AccountCurrencies currencies;
  uint64_t printed = 0;
  while (options.count == 0 || printed < options.count) {
    std::optional<client::EventBatchView> batch = subscriber.next(std::chrono::seconds(1));
    if (!batch) {
      continue;
    }
    for (size_t index = 0; index < batch->size() && (options.count == 0 || printed < options.count);
         ++index) {
      const protocol::Event& event = (*batch)[index];
      learn_currencies(event, lookup, currencies);
      print_tail_event(event, currencies, json);
      ++printed;
    }
    std::fflush(stdout);
  }
  return static_cast<int>(ExitCode::kOk);
}

}  // namespace tally::cli
