// SubscriptionRequest: a Subscribe, SubscriptionCredit or Unsubscribe as the server's
// subscription hub (net/server/subscription_hub.h) takes it, read and checked on the
// connection's network thread (so the hub's thread never sees a malformed request), and the
// filter a subscription applies to the journal's events. Pure, so the request fuzzer reads
// requests with it too.
#pragma once

#include <cstdint>

#include "engine/base/identifiers.h"
#include "engine/base/inline_string.h"
#include "engine/base/limits.h"
#include "engine/base/result.h"
#include "engine/wire/outcome.h"
#include "engine/wire/protocol.h"

namespace tally::net {

// Which events a subscription wants: an account's (either side of a transfer), of some types.
struct EventFilter {
  InlineString<kAccountIdBytesMax> account_id;  // empty: every account
  uint32_t type_mask = 0;                       // bit (1 << EventType); 0: every type

  bool matches(const Outcome& event) const {
    if (type_mask != 0 && (type_mask & (1u << static_cast<uint32_t>(event.type))) == 0) {
      return false;
    }
    return account_id.empty() || event.account_id.view() == account_id.view() ||
           event.counterparty_id.view() == account_id.view();
  }
  bool everything() const { return type_mask == 0 && account_id.empty(); }
  friend bool operator==(const EventFilter& left, const EventFilter& right) {
    return left.type_mask == right.type_mask && left.account_id.view() == right.account_id.view();
  }
};

struct SubscriptionRequest {
  enum class Kind : uint8_t { kSubscribe, kCredit, kUnsubscribe, kConnectionClosed };
  Kind kind = Kind::kSubscribe;
  uint64_t token = 0;  // the connection's
  Id128 request_id;    // this request's own id
  Id128 subscription;  // kSubscribe: request_id; kCredit, kUnsubscribe: the one named
  uint64_t from_sequence = 1;
  bool from_durable_end = false;  // instead of from_sequence: the journal's durable end + 1
  uint32_t credit = 0;            // kSubscribe: the first credit; kCredit: what it adds
  EventFilter filter;
};

// Reads a verified request whose body is a Subscribe, SubscriptionCredit or Unsubscribe, for
// the connection `token`. kInvalidArgument saying what is wrong (a missing body or id, an
// account id over kAccountIdBytesMax, an unknown event type).
Result<SubscriptionRequest> read_subscription_request(const protocol::Request& request,
                                                      uint64_t token);

// True for the request types read_subscription_request reads.
bool is_subscription_request(protocol::RequestBody type);

}  // namespace tally::net
