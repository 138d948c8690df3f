#include "net/http/http_routes.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <iterator>

#include <boost/json.hpp>
#include <boost/url.hpp>

#include "engine/base/id_text.h"
#include "engine/wire/currency.h"
#include "net/client/batch_builder.h"
#include "net/client/query.h"
#include "net/protocol/frame.h"

namespace tally::net::http {
namespace {

namespace json = boost::json;
namespace beast_http = boost::beast::http;
using Segments = std::vector<std::string>;

HttpRefusal bad_input(std::string message) {
  HttpRefusal refusal;
  refusal.message = std::move(message);
  return refusal;
}

// `"name" what`, built by appending (GCC 12 misreads "literal" + std::string as overlapping).
std::string field_problem(std::string_view name, std::string_view what) {
  std::string text = "\"";
  text.append(name).append("\" ").append(what);
  return text;
}

// ---- JSON bodies -------------------------------------------------------------------------

// The body as a JSON object (an empty body is an empty object), or a refusal.
std::variant<json::object, HttpRefusal> body_object(const HttpRequest& request) {
  if (request.body().empty()) {
    return json::object{};
  }
  boost::system::error_code error;
  json::value value = json::parse(request.body(), error);
  if (error) {
    return bad_input("the body is not valid JSON: " + error.message());
  }
  if (!value.is_object()) {
    return bad_input("the body must be a JSON object");
  }
  return std::move(value.as_object());
}

// Reading fields: each returns a refusal's message, or "" when the field is fine or absent
// (for optional ones).
std::string text_field(const json::object& body, std::string_view name, bool required,
                       std::string& out) {
  const json::value* value = body.if_contains(name);
  if (value == nullptr || value->is_null()) {
    return required ? field_problem(name, "is required") : "";
  }
  if (!value->is_string()) {
    return field_problem(name, "must be a string");
  }
  out = std::string(value->as_string());
  return "";
}

std::string integer_field(const json::object& body, std::string_view name, bool required,
                          std::optional<int64_t>& out) {
  const json::value* value = body.if_contains(name);
  if (value == nullptr || value->is_null()) {
    return required ? field_problem(name, "is required (an integer of minor units)") : "";
  }
  if (value->is_int64()) {
    out = value->as_int64();
  } else if (value->is_uint64()) {
    return field_problem(name, "is too large");
  } else if (value->is_string()) {
    // Decimal strings in the account's currency are not taken yet: say what is.
    return field_problem(name, "must be a JSON integer of minor units (1000 = 10.00)");
  } else {
    return field_problem(name, "must be an integer of minor units");
  }
  return "";
}

std::string version_field(const json::object& body, std::string_view name,
                          std::optional<uint64_t>& out) {
  std::optional<int64_t> value;
  std::string problem = integer_field(body, name, false, value);
  if (problem.empty() && value) {
    if (*value < 0)
      return field_problem(name, "must not be negative");
    out = static_cast<uint64_t>(*value);
  }
  return problem;
}

// ---- Building the engine's request --------------------------------------------------------

std::vector<uint8_t> unframed(std::vector<uint8_t> framed) {
  framed.erase(framed.begin(), framed.begin() + static_cast<std::ptrdiff_t>(kFrameHeaderBytes));
  return framed;
}

EngineCall command_call(const client::BatchBuilder& batch, const Id128& id, AnswerShape shape,
                        std::string transaction_id = {}) {
  std::vector<uint8_t> framed;
  batch.encode(id, framed);
  return EngineCall{.request_id = id,
                    .is_query = false,
                    .message = unframed(std::move(framed)),
                    .shape = shape,
                    .transaction_id = std::move(transaction_id)};
}

// The read-your-writes floor: the minSequence query parameter or the Min-Sequence header.
std::variant<uint64_t, HttpRefusal> min_sequence_of(const HttpRequest& request,
                                                    const boost::urls::url_view& url) {
  std::string text;
  if (const auto parameter = url.params().find("minSequence"); parameter != url.params().end()) {
    text = (*parameter).value;
  } else if (const auto header = request.find("Min-Sequence"); header != request.end()) {
    text = std::string(header->value());
  }
  if (text.empty()) {
    return uint64_t{0};
  }
  uint64_t sequence = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), sequence);
  if (error != std::errc() || end != text.data() + text.size()) {
    return bad_input("minSequence \"" + text + "\" is not a sequence number");
  }
  return sequence;
}

RoutedRequest query_call(client::Query query, const HttpRequest& request,
                         const boost::urls::url_view& url, const Id128& id,
                         protocol::RequestBody type, AnswerShape shape) {
  const auto floor = min_sequence_of(request, url);
  if (const auto* refusal = std::get_if<HttpRefusal>(&floor)) {
    return *refusal;
  }
  query.min_sequence(std::get<uint64_t>(floor));
  std::vector<uint8_t> framed;
  query.encode(id, framed);
  return EngineCall{.request_id = id,
                    .is_query = true,
                    .query_type = type,
                    .message = unframed(std::move(framed)),
                    .shape = shape,
                    .transaction_id = {}};
}

// An integer query parameter in [low, high], or `fallback` when absent.
std::variant<uint64_t, HttpRefusal> parameter_of(const boost::urls::url_view& url,
                                                 std::string_view name, uint64_t fallback,
                                                 uint64_t low, uint64_t high) {
  const auto found = url.params().find(name);
  if (found == url.params().end()) {
    return fallback;
  }
  const std::string text = (*found).value;
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < low || value > high) {
    return bad_input(std::string(name) + "=\"" + text + "\" must be an integer from " +
                     std::to_string(low) + " to " + std::to_string(high));
  }
  return value;
}

// ---- Times --------------------------------------------------------------------------------

// "YYYY-MM-DD" as days since 1970-01-01, or nullopt.
std::optional<int32_t> day_of(std::string_view text) {
  int year = 0;
  unsigned month = 0, day = 0;
  char tail = 0;
  if (text.size() != 10 ||
      std::sscanf(std::string(text).c_str(), "%4d-%2u-%2u%c", &year, &month, &day, &tail) != 3) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(month),
                                         std::chrono::day(day)};
  if (!date.ok()) {
    return std::nullopt;
  }
  return static_cast<int32_t>(std::chrono::sys_days(date).time_since_epoch().count());
}

// RFC 3339 in UTC ("2026-03-22T10:05:00Z", fractions of a second allowed) or a date (its
// midnight), as Unix nanoseconds; nullopt if it is neither.
std::optional<int64_t> time_of(std::string_view text) {
  const std::optional<int32_t> day = day_of(text.substr(0, std::min<size_t>(text.size(), 10)));
  if (!day) {
    return std::nullopt;
  }
  int64_t nanoseconds = int64_t{*day} * 86'400 * 1'000'000'000;
  if (text.size() == 10) {
    return nanoseconds;
  }
  unsigned hour = 0, minute = 0, second = 0;
  if (text.size() < 20 || text[10] != 'T' || text.back() != 'Z' ||
      std::sscanf(std::string(text.substr(11, 8)).c_str(), "%2u:%2u:%2u", &hour, &minute,
                  &second) != 3 ||
      text[13] != ':' || text[16] != ':' || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  nanoseconds += (int64_t{hour} * 3600 + minute * 60 + second) * 1'000'000'000;
  const std::string_view fraction = text.substr(19, text.size() - 20);
  if (!fraction.empty()) {
    if (fraction[0] != '.' || fraction.size() < 2 || fraction.size() > 10) {
      return std::nullopt;
    }
    int64_t scale = 100'000'000;
    for (const char digit : fraction.substr(1)) {
      if (digit < '0' || digit > '9')
        return std::nullopt;
      nanoseconds += (digit - '0') * scale;
      scale /= 10;
    }
  }
  return nanoseconds;
}

// A time query parameter (RFC 3339 UTC or a date), 0 when absent.
std::variant<int64_t, HttpRefusal> time_parameter(const boost::urls::url_view& url,
                                                  std::string_view name) {
  const auto found = url.params().find(name);
  if (found == url.params().end()) {
    return int64_t{0};
  }
  const std::string text = (*found).value;
  const std::optional<int64_t> time = time_of(text);
  if (!time) {
    return bad_input(std::string(name) + "=\"" + text +
                     "\" is not a UTC time like 2026-03-22T10:05:00Z or a date like 2026-03-22");
  }
  return *time;
}

std::string text_parameter(const boost::urls::url_view& url, std::string_view name) {
  const auto found = url.params().find(name);
  return found == url.params().end() ? std::string() : std::string((*found).value);
}

// A command's options: transactionId and currency (a deposit's, withdrawal's or transfer's:
// the ledger refuses a currency other than the account's) and expectedVersion.
std::variant<client::CommandOptions, HttpRefusal> movement_options(const json::object& body,
                                                                   std::string& transaction) {
  client::CommandOptions options;
  if (std::string problem = text_field(body, "transactionId", false, transaction);
      !problem.empty()) {
    return bad_input(problem);
  }
  if (!transaction.empty() && !is_valid_transaction_text(transaction)) {
    return bad_input("\"transactionId\" must be printable ASCII of at most 64 bytes");
  }
  // The text goes with the command (kept in the journal and shown back as given); the batch
  // builder derives its 128 bits, the transaction's identity.
  options.transaction_text = transaction;
  if (std::string problem = version_field(body, "expectedVersion", options.expected_version);
      !problem.empty()) {
    return bad_input(problem);
  }
  if (std::string problem = text_field(body, "currency", false, options.currency);
      !problem.empty()) {
    return bad_input(problem);
  }
  if (!options.currency.empty() && !CurrencyCode::parse(options.currency)) {
    return bad_input("\"currency\" must be three letters A-Z (ISO 4217)");
  }
  return options;
}

// ---- Batches ------------------------------------------------------------------------------

// One command of POST /api/batches, added to `batch`; a refusal's message, or "".
std::string add_batch_command(const json::value& value, size_t index, client::BatchBuilder& batch) {
  const std::string where = "commands[" + std::to_string(index) + "]: ";
  if (!value.is_object()) {
    return where + "must be an object";
  }
  const json::object& command = value.as_object();
  std::string type, account, other, text, transaction;
  std::optional<int64_t> amount;
  for (const std::string& problem : {text_field(command, "type", true, type),
                                     text_field(command, "accountId", false, account)}) {
    if (!problem.empty())
      return where + problem;
  }
  const auto parsed = movement_options(command, transaction);
  if (const auto* refusal = std::get_if<HttpRefusal>(&parsed)) {
    return where + refusal->message;
  }
  const client::CommandOptions& options = std::get<client::CommandOptions>(parsed);
  const bool moves_money = type == "deposit" || type == "withdrawal" || type == "transfer";
  if (moves_money) {
    if (std::string problem = integer_field(command, "amount", true, amount); !problem.empty())
      return where + problem;
  }
  if (type == "open") {
    std::optional<int64_t> overdraft, initial;
    for (const std::string& problem :
         {text_field(command, "ownerId", false, other), text_field(command, "currency", true, text),
          integer_field(command, "overdraftLimit", false, overdraft),
          integer_field(command, "initialDeposit", false, initial)}) {
      if (!problem.empty())
        return where + problem;
    }
    batch.open_account(account, other, text, AccountType::Checking, overdraft.value_or(0),
                       initial.value_or(0));
  } else if (type == "deposit") {
    batch.deposit(account, *amount, options);
  } else if (type == "withdrawal") {
    batch.withdraw(account, *amount, options);
  } else if (type == "transfer") {
    if (std::string problem = text_field(command, "destinationAccountId", true, other);
        !problem.empty())
      return where + problem;
    batch.transfer(account, other, *amount, options);
  } else if (type == "freeze") {
    if (std::string problem = text_field(command, "reason", false, text); !problem.empty())
      return where + problem;
    batch.freeze(account, text, options);
  } else if (type == "unfreeze") {
    batch.unfreeze(account, options);
  } else if (type == "close") {
    batch.close(account, options);
  } else {
    return where +
           "\"type\" must be open, deposit, withdrawal, transfer, freeze, unfreeze or close";
  }
  return "";
}

RoutedRequest command_batch(const json::object& body, const Id128& id) {
  const json::value* commands = body.if_contains("commands");
  if (commands == nullptr || !commands->is_array() || commands->as_array().empty()) {
    return bad_input("\"commands\" must be a non-empty array");
  }
  const json::value* atomic = body.if_contains("atomic");
  if (atomic != nullptr && !atomic->is_bool()) {
    return bad_input("\"atomic\" must be true or false");
  }
  client::BatchBuilder batch;
  batch.atomic(atomic != nullptr && atomic->as_bool());
  size_t index = 0;
  for (const json::value& command : commands->as_array()) {
    if (std::string problem = add_batch_command(command, index++, batch); !problem.empty()) {
      return bad_input(problem);
    }
  }
  return command_call(batch, id, AnswerShape::kBatch);
}

// ---- Routes -------------------------------------------------------------------------------

RoutedRequest open_account(const json::object& body, const Id128& id) {
  std::string account_id, owner, currency, type_text;
  std::optional<int64_t> overdraft, initial;
  for (const std::string& problem :
       {text_field(body, "accountId", false, account_id), text_field(body, "ownerId", false, owner),
        text_field(body, "currency", true, currency), text_field(body, "type", false, type_text),
        integer_field(body, "overdraftLimit", false, overdraft),
        integer_field(body, "initialDeposit", false, initial)}) {
    if (!problem.empty())
      return bad_input(problem);
  }
  AccountType type = AccountType::Checking;
  if (type_text == "savings" || type_text == "SAVINGS") {
    type = AccountType::Savings;
  } else if (!type_text.empty() && type_text != "checking" && type_text != "CHECKING") {
    return bad_input("\"type\" must be \"checking\" or \"savings\"");
  }
  client::BatchBuilder batch;
  batch.open_account(account_id, owner, currency, type, overdraft.value_or(0), initial.value_or(0));
  return command_call(batch, id, AnswerShape::kOpened);
}

RoutedRequest money_movement(const json::object& body, const std::string& account,
                             std::string_view kind, const Id128& id) {
  std::optional<int64_t> amount;
  if (std::string problem = integer_field(body, "amount", true, amount); !problem.empty()) {
    return bad_input(problem);
  }
  std::string transaction;
  const auto options = movement_options(body, transaction);
  if (const auto* refusal = std::get_if<HttpRefusal>(&options)) {
    return *refusal;
  }
  client::BatchBuilder batch;
  const auto& chosen = std::get<client::CommandOptions>(options);
  if (kind == "deposits") {
    batch.deposit(account, *amount, chosen);
  } else {
    batch.withdraw(account, *amount, chosen);
  }
  return command_call(batch, id, AnswerShape::kMovement, transaction);
}

RoutedRequest transfer(const json::object& body, const Id128& id) {
  std::string from, to;
  std::optional<int64_t> amount;
  for (const std::string& problem : {text_field(body, "sourceAccountId", true, from),
                                     text_field(body, "destinationAccountId", true, to),
                                     integer_field(body, "amount", true, amount)}) {
    if (!problem.empty())
      return bad_input(problem);
  }
  std::string transaction;
  const auto options = movement_options(body, transaction);
  if (const auto* refusal = std::get_if<HttpRefusal>(&options)) {
    return *refusal;
  }
  client::BatchBuilder batch;
  batch.transfer(from, to, *amount, std::get<client::CommandOptions>(options));
  return command_call(batch, id, AnswerShape::kMovement, transaction);
}

RoutedRequest status_change(const json::object& body, const std::string& account,
                            std::string_view action, const Id128& id) {
  std::string reason;
  std::optional<uint64_t> expected;
  for (const std::string& problem : {text_field(body, "reason", false, reason),
                                     version_field(body, "expectedVersion", expected)}) {
    if (!problem.empty())
      return bad_input(problem);
  }
  client::CommandOptions options;
  options.expected_version = expected;
  client::BatchBuilder batch;
  if (action == "freeze") {
    batch.freeze(account, reason, options);
  } else if (action == "unfreeze") {
    batch.unfreeze(account, options);
  } else {
    batch.close(account, options);
  }
  return command_call(batch, id, AnswerShape::kStatusChange);
}

RoutedRequest history(const HttpRequest& request, const boost::urls::url_view& url,
                      const std::string& account, const Id128& id) {
  const auto limit = parameter_of(url, "limit", 50, 1, 1000);
  const auto offset = parameter_of(url, "offset", 0, 0, 0);
  const auto cursor = parameter_of(url, "cursor", 0, 0, UINT64_MAX);
  for (const auto* value : {&limit, &cursor}) {
    if (const auto* refusal = std::get_if<HttpRefusal>(value))
      return *refusal;
  }
  if (std::holds_alternative<HttpRefusal>(offset)) {
    return bad_input(
        "offset must be 0: page on with the cursor parameter, from the answer's "
        "nextCursor");
  }
  client::HistoryOptions options;
  options.order = protocol::Order::OldestFirst;
  options.limit = static_cast<uint32_t>(std::get<uint64_t>(limit));
  options.cursor = std::get<uint64_t>(cursor);
  return query_call(client::Query::history(account, options), request, url, id,
                    protocol::RequestBody::HistoryQuery, AnswerShape::kHistory);
}

// Whether `method` is the one the target takes; else a 405 naming it.
std::optional<HttpRefusal> method_must_be(const HttpRequest& request, beast_http::verb method) {
  if (request.method() == method) {
    return std::nullopt;
  }
  const std::string name(beast_http::to_string(method));
  return HttpRefusal{.status = 405,
                     .code = ResultCode::InvalidArgument,
                     .message = "this route takes " + name,
                     .allow = name};
}

HttpRefusal not_found(std::string_view path) {
  HttpRefusal refusal;
  refusal.status = 404;
  refusal.message = "no route ";
  refusal.message.append(path).append(" (docs/openapi.yaml lists them)");
  return refusal;
}

RoutedRequest route_local(const HttpRequest& request, const Segments& path, std::string_view raw) {
  static const std::pair<const char*, LocalKind> kLocal[] = {{"health", LocalKind::kHealth},
                                                             {"ready", LocalKind::kReady},
                                                             {"metrics", LocalKind::kMetrics}};
  for (const auto& [name, kind] : kLocal) {
    if (path.size() == 1 && path[0] == name) {
      if (auto refusal = method_must_be(request, beast_http::verb::get))
        return *refusal;
      return LocalCall{kind};
    }
  }
  return not_found(raw);
}

RoutedRequest route_admin(const HttpRequest& request, const Segments& path, std::string_view raw) {
  // /api/admin/projections/accounts/rebuild-all and /api/admin/projections/accounts/{id}/rebuild
  const bool all = path.size() == 5 && path[4] == "rebuild-all";
  const bool one = path.size() == 6 && path[5] == "rebuild";
  if (path.size() < 4 || path[2] != "projections" || path[3] != "accounts" || !(all || one)) {
    return not_found(raw);
  }
  if (auto refusal = method_must_be(request, beast_http::verb::post))
    return *refusal;
  return LocalCall{LocalKind::kRebuild};
}

// The account queries beyond details, balance and history: summary, daily balances, balance as
// of a time or sequence, the event trail.
std::optional<RoutedRequest> account_query(const HttpRequest& request,
                                           const boost::urls::url_view& url,
                                           const std::string& account, const std::string& action,
                                           const Id128& id) {
  using protocol::RequestBody;
  if (action == "summary") {
    return query_call(client::Query::summary(account), request, url, id,
                      RequestBody::AccountSummaryQuery, AnswerShape::kQuery);
  }
  if (action == "events") {
    const auto limit = parameter_of(url, "limit", 100, 1, 1000);
    const auto cursor = parameter_of(url, "cursor", 0, 0, UINT64_MAX);
    for (const auto* value : {&limit, &cursor}) {
      if (const auto* refusal = std::get_if<HttpRefusal>(value))
        return *refusal;
    }
    return query_call(client::Query::event_trail(account, std::get<uint64_t>(cursor),
                                                 static_cast<uint32_t>(std::get<uint64_t>(limit))),
                      request, url, id, RequestBody::EventTrailQuery, AnswerShape::kQuery);
  }
  if (action == "daily-balances") {
    const std::optional<int32_t> from = day_of(text_parameter(url, "from"));
    const std::optional<int32_t> to = day_of(text_parameter(url, "to"));
    if (!from || !to) {
      return bad_input("from and to must be dates like 2026-03-22");
    }
    return query_call(client::Query::daily_balances(account, *from, *to), request, url, id,
                      RequestBody::DailyBalancesQuery, AnswerShape::kQuery);
  }
  if (action == "balance-at") {
    const auto at_time = time_parameter(url, "time");
    const auto at_sequence = parameter_of(url, "sequence", 0, 1, UINT64_MAX);
    if (const auto* refusal = std::get_if<HttpRefusal>(&at_time))
      return *refusal;
    if (const auto* refusal = std::get_if<HttpRefusal>(&at_sequence))
      return *refusal;
    const int64_t time = std::get<int64_t>(at_time);
    const uint64_t sequence = std::get<uint64_t>(at_sequence);
    if ((time != 0) == (sequence != 0)) {
      return bad_input("give exactly one of time (UTC, like 2026-03-22T10:05:00Z) and sequence");
    }
    return query_call(time != 0 ? client::Query::balance_at_time(account, time)
                                : client::Query::balance_at_sequence(account, sequence),
                      request, url, id, RequestBody::BalanceAsOfQuery, AnswerShape::kQuery);
  }
  return std::nullopt;
}

RoutedRequest route_account(const HttpRequest& request, const boost::urls::url_view& url,
                            const Segments& path, const Id128& id, std::string_view raw) {
  const std::string& account = path[2];
  const std::string action = path.size() == 4 ? path[3] : "";
  if (path.size() > 4) {
    return not_found(raw);
  }
  if (action == "summary" || action == "events" || action == "daily-balances" ||
      action == "balance-at") {
    if (auto refusal = method_must_be(request, beast_http::verb::get))
      return *refusal;
    return *account_query(request, url, account, action, id);
  }
  if (action.empty() || action == "balance" || action == "history") {
    if (auto refusal = method_must_be(request, beast_http::verb::get))
      return *refusal;
    if (action == "history")
      return history(request, url, account, id);
    if (action == "balance") {
      return query_call(client::Query::balance(account), request, url, id,
                        protocol::RequestBody::BalanceQuery, AnswerShape::kBalance);
    }
    return query_call(client::Query::account(account), request, url, id,
                      protocol::RequestBody::AccountQuery, AnswerShape::kAccount);
  }
  const bool movement = action == "deposits" || action == "withdrawals";
  const bool change = action == "freeze" || action == "unfreeze" || action == "close";
  if (!movement && !change) {
    return not_found(raw);
  }
  if (auto refusal = method_must_be(request, beast_http::verb::post))
    return *refusal;
  const auto body = body_object(request);
  if (const auto* refusal = std::get_if<HttpRefusal>(&body))
    return *refusal;
  const auto& object = std::get<json::object>(body);
  return movement ? money_movement(object, account, action, id)
                  : status_change(object, account, action, id);
}

// GET /api/accounts?ownerId=&cursor=&limit=: accounts in opening order, all or one owner's.
RoutedRequest account_list(const HttpRequest& request, const boost::urls::url_view& url,
                           const Id128& id) {
  const auto limit = parameter_of(url, "limit", 100, 1, 1000);
  const auto cursor = parameter_of(url, "cursor", 0, 0, UINT64_MAX);
  for (const auto* value : {&limit, &cursor}) {
    if (const auto* refusal = std::get_if<HttpRefusal>(value))
      return *refusal;
  }
  return query_call(
      client::Query::accounts(text_parameter(url, "ownerId"), std::get<uint64_t>(cursor),
                              static_cast<uint32_t>(std::get<uint64_t>(limit))),
      request, url, id, protocol::RequestBody::AccountListQuery, AnswerShape::kQuery);
}

// The ledger-wide queries: reserve, top accounts, transaction search.
RoutedRequest ledger_query(const HttpRequest& request, const boost::urls::url_view& url,
                           const std::string& name, const Id128& id) {
  using protocol::RequestBody;
  if (name == "reserve") {
    return query_call(client::Query::reserve(text_parameter(url, "currency")), request, url, id,
                      RequestBody::ReserveQuery, AnswerShape::kQuery);
  }
  if (name == "top-accounts") {
    const auto limit = parameter_of(url, "limit", 10, 1, 100);
    if (const auto* refusal = std::get_if<HttpRefusal>(&limit))
      return *refusal;
    const std::string currency = text_parameter(url, "currency");
    if (currency.empty()) {
      return bad_input("currency is required (top accounts are per currency)");
    }
    return query_call(
        client::Query::top_accounts(currency, static_cast<uint32_t>(std::get<uint64_t>(limit))),
        request, url, id, RequestBody::TopAccountsQuery, AnswerShape::kQuery);
  }
  client::SearchOptions options;
  options.account_id = text_parameter(url, "accountId");
  const std::string type = text_parameter(url, "type");
  static const std::pair<const char*, EventType> kTypes[] = {
      {"", EventType::Unknown},
      {"AccountCreated", EventType::AccountOpened},
      {"MoneyDeposited", EventType::Deposited},
      {"MoneyWithdrawn", EventType::Withdrawn},
      {"Transfer", EventType::Transferred}};
  const auto found = std::find_if(std::begin(kTypes), std::end(kTypes),
                                  [&](const auto& entry) { return type == entry.first; });
  if (found == std::end(kTypes)) {
    return bad_input("type must be AccountCreated, MoneyDeposited, MoneyWithdrawn or Transfer");
  }
  options.type = found->second;
  const auto minimum = parameter_of(url, "minAmount", 0, 0, INT64_MAX);
  const auto maximum = parameter_of(url, "maxAmount", 0, 0, INT64_MAX);
  const auto limit = parameter_of(url, "limit", 100, 1, 1000);
  const auto cursor = parameter_of(url, "cursor", 0, 0, UINT64_MAX);
  for (const auto* value : {&minimum, &maximum, &limit, &cursor}) {
    if (const auto* refusal = std::get_if<HttpRefusal>(value))
      return *refusal;
  }
  const auto from = time_parameter(url, "from");
  const auto to = time_parameter(url, "to");
  for (const auto* value : {&from, &to}) {
    if (const auto* refusal = std::get_if<HttpRefusal>(value))
      return *refusal;
  }
  options.min_amount = static_cast<int64_t>(std::get<uint64_t>(minimum));
  options.max_amount = static_cast<int64_t>(std::get<uint64_t>(maximum));
  options.limit = static_cast<uint32_t>(std::get<uint64_t>(limit));
  options.cursor = std::get<uint64_t>(cursor);
  options.from_ns = std::get<int64_t>(from);
  options.to_ns = std::get<int64_t>(to);
  return query_call(client::Query::search(options), request, url, id,
                    RequestBody::TransactionSearchQuery, AnswerShape::kQuery);
}

// GET /api/events?from=&accountId=&types=A,B (and Last-Event-ID): a subscription streamed as
// server-sent events.
RoutedRequest event_stream(const HttpRequest& request, const boost::urls::url_view& url,
                           const Id128& id) {
  if (auto refusal = method_must_be(request, beast_http::verb::get))
    return *refusal;
  StreamCall call;
  SubscriptionRequest& subscribe = call.subscribe;
  subscribe.kind = SubscriptionRequest::Kind::kSubscribe;
  subscribe.request_id = id;
  subscribe.subscription = id;
  const auto from = parameter_of(url, "from", 0, 0, UINT64_MAX);
  if (const auto* refusal = std::get_if<HttpRefusal>(&from))
    return *refusal;
  subscribe.from_sequence = std::get<uint64_t>(from);
  if (const auto last = request.find("Last-Event-ID"); last != request.end()) {
    // The browser's EventSource sends it back on reconnecting: resume after it.
    uint64_t sequence = 0;
    const std::string_view text(last->value().data(), last->value().size());
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), sequence);
    if (error != std::errc() || end != text.data() + text.size() || sequence == UINT64_MAX) {
      return bad_input("Last-Event-ID must be an event's sequence");
    }
    subscribe.from_sequence = sequence + 1;
  }
  // Neither `from` nor Last-Event-ID: what becomes durable from now on.
  subscribe.from_durable_end = subscribe.from_sequence == 0;
  const std::string account = text_parameter(url, "accountId");
  if (account.size() > kAccountIdBytesMax) {
    return bad_input("accountId is at most " + std::to_string(kAccountIdBytesMax) + " bytes");
  }
  subscribe.filter.account_id.assign(account);
  const std::string types = text_parameter(url, "types");
  for (size_t start = 0; start < types.size();) {
    const size_t comma = std::min(types.find(',', start), types.size());
    const std::optional<EventType> type =
        event_type_named(std::string_view(types.data() + start, comma - start));
    if (!type) {
      return bad_input(
          "types are event types separated by commas (AccountOpened, Deposited, "
          "Withdrawn, Transferred, AccountFrozen, AccountUnfrozen, AccountClosed, "
          "CommandRejected)");
    }
    subscribe.filter.type_mask |= 1u << static_cast<uint32_t>(*type);
    start = comma + 1;
  }
  return call;
}

RoutedRequest route_api(const HttpRequest& request, const boost::urls::url_view& url,
                        const Segments& path, const Id128& id, std::string_view raw) {
  if (path.size() == 2 && path[1] == "events") {
    return event_stream(request, url, id);
  }
  if (path.size() >= 2 && path[1] == "admin") {
    return route_admin(request, path, raw);
  }
  if (path.size() == 2 && (path[1] == "stats" || path[1] == "projections")) {
    if (auto refusal = method_must_be(request, beast_http::verb::get))
      return *refusal;
    return LocalCall{path[1] == "stats" ? LocalKind::kStats : LocalKind::kProjections};
  }
  if (path.size() == 2 && path[1] == "accounts" && request.method() == beast_http::verb::get) {
    return account_list(request, url, id);
  }
  if (path.size() == 2 &&
      (path[1] == "reserve" || path[1] == "top-accounts" || path[1] == "transactions")) {
    if (auto refusal = method_must_be(request, beast_http::verb::get))
      return *refusal;
    return ledger_query(request, url, path[1], id);
  }
  if (path.size() == 2 &&
      (path[1] == "accounts" || path[1] == "transfers" || path[1] == "batches")) {
    if (auto refusal = method_must_be(request, beast_http::verb::post))
      return *refusal;
    const auto body = body_object(request);
    if (const auto* refusal = std::get_if<HttpRefusal>(&body))
      return *refusal;
    const auto& object = std::get<json::object>(body);
    if (path[1] == "batches")
      return command_batch(object, id);
    return path[1] == "accounts" ? open_account(object, id) : transfer(object, id);
  }
  if (path.size() >= 3 && path[1] == "accounts") {
    return route_account(request, url, path, id, raw);
  }
  return not_found(raw);
}

constexpr RouteTemplate kServedRoutes[] = {
    {"GET", "/health"},
    {"GET", "/ready"},
    {"GET", "/metrics"},
    {"GET", "/api/stats"},
    {"GET", "/api/projections"},
    {"POST", "/api/accounts"},
    {"GET", "/api/accounts/{accountId}"},
    {"GET", "/api/accounts/{accountId}/balance"},
    {"GET", "/api/accounts/{accountId}/history"},
    {"POST", "/api/accounts/{accountId}/deposits"},
    {"POST", "/api/accounts/{accountId}/withdrawals"},
    {"POST", "/api/accounts/{accountId}/freeze"},
    {"POST", "/api/accounts/{accountId}/unfreeze"},
    {"POST", "/api/accounts/{accountId}/close"},
    {"POST", "/api/transfers"},
    {"POST", "/api/batches"},
    {"GET", "/api/accounts"},
    {"GET", "/api/accounts/{accountId}/summary"},
    {"GET", "/api/accounts/{accountId}/events"},
    {"GET", "/api/accounts/{accountId}/daily-balances"},
    {"GET", "/api/accounts/{accountId}/balance-at"},
    {"GET", "/api/reserve"},
    {"GET", "/api/top-accounts"},
    {"GET", "/api/transactions"},
    {"GET", "/api/events"},
    {"POST", "/api/admin/projections/accounts/rebuild-all"},
    {"POST", "/api/admin/projections/accounts/{accountId}/rebuild"},
};

}  // namespace

std::span<const RouteTemplate> served_routes() {
  return kServedRoutes;
}

std::optional<Id128> id_of_key(std::string_view key) {
  // The same rule as a transaction's text: 1-64 printable ASCII bytes.
  static_assert(kIdempotencyKeyBytesMax == kTransactionTextBytesMax);
  if (!is_valid_transaction_text(key)) {
    return std::nullopt;
  }
  return id_of_text(key);
}

RoutedRequest route_request(const HttpRequest& request, const Id128& fresh_id) {
  const std::string_view raw(request.target().data(), request.target().size());
  const auto parsed = boost::urls::parse_origin_form(raw);
  if (!parsed) {
    return bad_input("the request target is not a path with an optional query");
  }
  const boost::urls::url_view url = *parsed;
  Segments path;
  for (const std::string segment : url.segments()) {
    if (!segment.empty())
      path.push_back(segment);
  }
  Id128 id = fresh_id;
  if (const auto header = request.find("Idempotency-Key"); header != request.end()) {
    const std::optional<Id128> keyed = id_of_key(header->value());
    if (!keyed) {
      return bad_input("Idempotency-Key must be 1 to 64 bytes of printable ASCII");
    }
    id = *keyed;
  }
  if (!path.empty() && path[0] == "api") {
    return route_api(request, url, path, id, url.path());
  }
  return route_local(request, path, url.path());
}

}  // namespace tally::net::http
