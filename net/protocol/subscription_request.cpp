#include "net/protocol/subscription_request.h"

#include <string>

#include "engine/wire/wire_decoder.h"

namespace tally::net {
namespace {

Status invalid(std::string message) {
  return Status::invalid_argument(std::move(message));
}

Result<EventFilter> read_filter(const protocol::Subscribe& subscribe) {
  EventFilter filter;
  if (subscribe.account_id() != nullptr) {
    const std::string_view account = subscribe.account_id()->string_view();
    if (account.empty() || account.size() > kAccountIdBytesMax) {
      return invalid("the account_id must be 1 to " + std::to_string(kAccountIdBytesMax) +
                     " bytes");
    }
    filter.account_id.assign(account);
  }
  if (subscribe.event_types() != nullptr) {
    for (const auto type : *subscribe.event_types()) {
      const auto number = static_cast<uint32_t>(type);
      if (number <= static_cast<uint32_t>(protocol::EventType::MIN) ||
          number > static_cast<uint32_t>(protocol::EventType::MAX)) {
        return invalid("unknown event type " + std::to_string(number));
      }
      filter.type_mask |= 1u << number;
    }
  }
  return filter;
}

}  // namespace

bool is_subscription_request(protocol::RequestBody type) {
  return type == protocol::RequestBody::Subscribe ||
         type == protocol::RequestBody::SubscriptionCredit ||
         type == protocol::RequestBody::Unsubscribe;
}

Result<SubscriptionRequest> read_subscription_request(const protocol::Request& request,
                                                      uint64_t token) {
  SubscriptionRequest read;
  read.token = token;
  read.request_id = to_id128(request.request_id());
  if (const protocol::Subscribe* subscribe = request.body_as_Subscribe()) {
    Result<EventFilter> filter = read_filter(*subscribe);
    if (!filter.is_ok()) {
      return filter.status();
    }
    read.kind = SubscriptionRequest::Kind::kSubscribe;
    read.subscription = read.request_id;
    read.from_sequence = subscribe->from_sequence() == 0 ? 1 : subscribe->from_sequence();
    read.credit = subscribe->credit();
    read.filter = *filter;
    return read;
  }
  if (const protocol::SubscriptionCredit* credit = request.body_as_SubscriptionCredit()) {
    if (credit->subscription() == nullptr) {
      return invalid("the credit names no subscription");
    }
    read.kind = SubscriptionRequest::Kind::kCredit;
    read.subscription = to_id128(credit->subscription());
    read.credit = credit->events();
    return read;
  }
  if (const protocol::Unsubscribe* unsubscribe = request.body_as_Unsubscribe()) {
    if (unsubscribe->subscription() == nullptr) {
      return invalid("the unsubscribe names no subscription");
    }
    read.kind = SubscriptionRequest::Kind::kUnsubscribe;
    read.subscription = to_id128(unsubscribe->subscription());
    return read;
  }
  return invalid("the request has no subscription body");
}

}  // namespace tally::net
