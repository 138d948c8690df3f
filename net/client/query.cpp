#include "net/client/query.h"

#include "engine/wire/wire_encoder.h"
#include "net/protocol/frame.h"

namespace tally::client {

namespace {

using Builder = flatbuffers::FlatBufferBuilder;
using protocol::RequestBody;

flatbuffers::Offset<flatbuffers::String> text(Builder& builder, const std::string& value) {
  return value.empty() ? flatbuffers::Offset<flatbuffers::String>() : builder.CreateString(value);
}

}  // namespace

Query Query::account(std::string account_id) {
  return {RequestBody::AccountQuery, [id = std::move(account_id)](Builder& builder) {
            return protocol::CreateAccountQuery(builder, text(builder, id)).Union();
          }};
}

Query Query::balance(std::string account_id) {
  return {RequestBody::BalanceQuery, [id = std::move(account_id)](Builder& builder) {
            return protocol::CreateBalanceQuery(builder, text(builder, id)).Union();
          }};
}

Query Query::accounts(std::string owner, uint64_t cursor, uint32_t limit) {
  return {RequestBody::AccountListQuery,
          [owner = std::move(owner), cursor, limit](Builder& builder) {
            return protocol::CreateAccountListQuery(builder, text(builder, owner), cursor, limit)
                .Union();
          }};
}

Query Query::history(std::string account_id, HistoryOptions options) {
  return {RequestBody::HistoryQuery, [id = std::move(account_id), options](Builder& builder) {
            return protocol::CreateHistoryQuery(builder, text(builder, id), options.order,
                                                options.from_ns, options.to_ns, options.limit,
                                                options.cursor)
                .Union();
          }};
}

Query Query::event_trail(std::string account_id, uint64_t cursor, uint32_t limit) {
  return {
      RequestBody::EventTrailQuery, [id = std::move(account_id), cursor, limit](Builder& builder) {
        return protocol::CreateEventTrailQuery(builder, text(builder, id), cursor, limit).Union();
      }};
}

Query Query::reserve(std::string currency) {
  return {RequestBody::ReserveQuery, [currency = std::move(currency)](Builder& builder) {
            return protocol::CreateReserveQuery(builder, text(builder, currency)).Union();
          }};
}

Query Query::top_accounts(std::string currency, uint32_t limit) {
  return {
      RequestBody::TopAccountsQuery, [currency = std::move(currency), limit](Builder& builder) {
        return protocol::CreateTopAccountsQuery(builder, text(builder, currency), limit).Union();
      }};
}

Query Query::summary(std::string account_id) {
  return {RequestBody::AccountSummaryQuery, [id = std::move(account_id)](Builder& builder) {
            return protocol::CreateAccountSummaryQuery(builder, text(builder, id)).Union();
          }};
}

Query Query::daily_balances(std::string account_id, int32_t from_day, int32_t to_day) {
  return {RequestBody::DailyBalancesQuery,
          [id = std::move(account_id), from_day, to_day](Builder& builder) {
            return protocol::CreateDailyBalancesQuery(builder, text(builder, id), from_day, to_day)
                .Union();
          }};
}

Query Query::search(SearchOptions options) {
  return {RequestBody::TransactionSearchQuery, [options = std::move(options)](Builder& builder) {
            return protocol::CreateTransactionSearchQuery(
                       builder, text(builder, options.account_id), options.type, options.min_amount,
                       options.max_amount, options.from_ns, options.to_ns, options.limit,
                       options.cursor)
                .Union();
          }};
}

Query Query::balance_at_time(std::string account_id, int64_t at_ns) {
  return {RequestBody::BalanceAsOfQuery, [id = std::move(account_id), at_ns](Builder& builder) {
            return protocol::CreateBalanceAsOfQuery(builder, text(builder, id), at_ns, 0).Union();
          }};
}

Query Query::balance_at_sequence(std::string account_id, uint64_t at_sequence) {
  return {
      RequestBody::BalanceAsOfQuery, [id = std::move(account_id), at_sequence](Builder& builder) {
        return protocol::CreateBalanceAsOfQuery(builder, text(builder, id), 0, at_sequence).Union();
      }};
}

Query Query::projection_status() {
  return {RequestBody::ProjectionStatusQuery,
          [](Builder& builder) { return protocol::CreateProjectionStatusQuery(builder).Union(); }};
}

Query Query::rebuild_projections() {
  return {RequestBody::RebuildProjections,
          [](Builder& builder) { return protocol::CreateRebuildProjections(builder).Union(); }};
}

void Query::encode(const Id128& request_id, std::vector<uint8_t>& frame) const {
  thread_local Builder builder(256);
  builder.Clear();
  const auto body = body_(builder);
  const protocol::Uint128 id = to_wire(request_id);
  const auto version = static_cast<uint16_t>(protocol::ProtocolVersion::Current);
  protocol::FinishRequestBuffer(
      builder, protocol::CreateRequest(builder, version, &id, min_sequence_, type_, body));
  net::append_frame(frame, {builder.GetBufferPointer(), builder.GetSize()});
}

}  // namespace tally::client
