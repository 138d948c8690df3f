// HTTP answers: an engine Response, a refusal or a local report rendered as an HTTP status and
// a JSON body (docs/http-api.md). Pure functions: no I/O.
//
// Statuses, from Tally's result codes: 400 bad input (InvalidArgument, InvalidAmount), 401 no
// or an unknown API key (Unauthenticated), 403 a key whose role does not allow the request
// (PermissionDenied), 404 an
// unknown account, 409 a conflict (AccountExists, VersionConflict, DuplicateTransaction,
// RequestIdReused), 422 any other business rejection, 429 a limit (LimitExceeded), 503 the
// server cannot take it now (Unavailable, Timeout: a read model short of minSequence). An
// error body is {"code": <Tally's number>, "error": <its name>, "message": <why>}.
// Amounts are JSON integers of minor units; where the answer knows the account's currency
// (account, balance, history) each also comes as a decimal string in it: "balance": 1250 and
// "balanceDecimal": "12.50" for EUR (ISO 4217's minor units, engine/wire/amount_text.h).
#pragma once

#include <optional>
#include <string>

#include "engine/wire/protocol.h"
#include "net/http/http_routes.h"
#include "net/protocol/messages.h"

namespace tally::net::http {

struct HttpAnswer {
  unsigned status = 200;
  std::string body;  // JSON unless content_type says otherwise
  std::string content_type = "application/json";
  bool replayed = false;  // a retry's original answer (the Idempotent-Replayed header)
  std::string allow;      // 405: the Allow header
};

unsigned status_of(ResultCode code);

HttpAnswer render_refusal(const HttpRefusal& refusal);
// The engine's answer to `call`.
HttpAnswer render_response(const protocol::Response& response, const EngineCall& call);
// Server-sent events for one message of a subscription streamed over HTTP (GET /api/events):
// an EventBatch gives one event per ledger event (`id:` its sequence, `event:` its type,
// `data:` its JSON) or, holding none, a `progress` event (`id:` the batch's last sequence);
// a SubscriptionEnded or an Error gives an `end` event. Appends to `out`; returns the ledger
// events the batch held (the credit to give back), or nullopt once the stream has ended.
std::optional<uint32_t> append_stream_events(std::string& out, const protocol::Response& response);
HttpAnswer render_health();
HttpAnswer render_projections(const ProjectionReport& report, bool rebuild_started);
// 200 when the journal can be written and every read model runs and has applied all that
// recovery found at start-up (`recovered_sequence`), else 503 (same body).
HttpAnswer render_ready(const ProjectionReport& report, uint64_t recovered_sequence,
                        bool journal_writable);
HttpAnswer render_stats(const ServerStats& stats);
// Prometheus' text exposition format (version 0.0.4): counters, gauges, per-stage latency
// histograms (and their percentiles) and each read model's lag.
struct HttpConnectionCounts {
  uint64_t http_open = 0;      // of stats.connections_open
  uint64_t http_accepted = 0;  // of stats.connections_accepted
};
HttpAnswer render_metrics(const ServerStats& stats, const ProjectionReport& report,
                          const HttpConnectionCounts& http = {});

}  // namespace tally::net::http
