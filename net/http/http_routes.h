// HTTP routes: what an HTTP request asks Tally for, decided from its method, target, headers
// and body alone (no I/O, no engine), so that every route and every bad input is testable
// without a server. docs/http-api.md is the contract; docs/openapi.yaml describes each route.
//
// A request becomes one of:
//   EngineCall   a command batch for the ingress or a query for the read side, as the binary
//                protocol's Request message (unframed), plus what rendering its answer needs;
//   LocalCall    answered by the connection itself (health, readiness, metrics, stats,
//                projection status and rebuilds);
//   HttpRefusal  bad input: the HTTP status and Tally's code and reason, nothing submitted.
//
// Ids: an Idempotency-Key header (any printable ASCII up to 64 bytes) becomes the request id:
// a UUID is taken as its 128 bits, anything else is hashed (XXH3-128), so the same key always
// names the same request and Tally's retry rules apply (same key and body: the original
// answer, flagged; same key, other body: refused). A transactionId is mapped the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/beast/http.hpp>

#include "engine/base/identifiers.h"
#include "engine/wire/protocol.h"
#include "net/protocol/subscription_request.h"

namespace tally::net::http {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;

// How an engine answer is rendered (http_answers.h).
enum class AnswerShape : uint8_t {
  kOpened,        // OpenAccount: 201 with the account id
  kMovement,      // Deposit, Withdraw, Transfer
  kStatusChange,  // Freeze, Unfreeze, Close
  kAccount,       // AccountQuery
  kBalance,       // BalanceQuery
  kHistory,       // HistoryQuery, oldest first
  kBatch,         // a batch of several commands (POST /api/batches)
  kQuery,         // any other query: rendered by its result's type
};

struct EngineCall {
  Id128 request_id;  // the Request's: its answer carries it
  bool is_query = false;
  protocol::RequestBody query_type = protocol::RequestBody::NONE;  // for a query
  std::vector<uint8_t> message;                                    // the Request, unframed
  AnswerShape shape = AnswerShape::kMovement;
  std::string transaction_id;  // as the client gave it, shown back in the answer
};

enum class LocalKind : uint8_t { kHealth, kReady, kMetrics, kStats, kProjections, kRebuild };

struct LocalCall {
  LocalKind kind = LocalKind::kHealth;
};

struct HttpRefusal {
  unsigned status = 400;
  ResultCode code = ResultCode::InvalidArgument;
  std::string message;
  std::string allow;  // 405: the methods the target takes
};

// GET /api/events: a stream of the durable events (server-sent events), handed to the
// subscription hub. `subscribe.token` is the session's to fill.
struct StreamCall {
  SubscriptionRequest subscribe;
};

using RoutedRequest = std::variant<EngineCall, LocalCall, HttpRefusal, StreamCall>;

inline HttpRefusal refusal_of(unsigned status, ResultCode code, std::string message) {
  HttpRefusal refusal;
  refusal.status = status;
  refusal.code = code;
  refusal.message = std::move(message);
  return refusal;
}

inline constexpr size_t kIdempotencyKeyBytesMax = 64;

// A route the server serves: its method and path, with {accountId} where an account id goes.
struct RouteTemplate {
  const char* method;
  const char* path;
};

// Every route route_request() serves (docs/openapi.json describes each; a test holds the two
// to each other).
std::span<const RouteTemplate> served_routes();

// The request id an Idempotency-Key names, or nullopt if the key is not printable ASCII of
// 1..64 bytes.
std::optional<Id128> id_of_key(std::string_view key);

// `fresh_id`: the request id to use when the request carries no Idempotency-Key.
RoutedRequest route_request(const HttpRequest& request, const Id128& fresh_id);

}  // namespace tally::net::http
