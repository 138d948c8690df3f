// tally::client::Query: one read-side query, built by name (Query::account, Query::history...)
// and sent with Client::query or Client::send. Every query may wait for the read model to
// reach a sequence (min_sequence: read your own writes, passing a command's sequence).
//
// The answer is a QueryReply: the server's Response, read in place through the FlatBuffers
// tables of engine/wire/schema/tally.fbs (reply.body<protocol::HistoryResult>()).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/base/identifiers.h"
#include "engine/wire/protocol.h"

namespace tally::client {

struct HistoryOptions {
  protocol::Order order = protocol::Order::NewestFirst;
  int64_t from_ns = 0;  // 0: no bound
  int64_t to_ns = 0;
  uint32_t limit = 50;
  uint64_t cursor = 0;  // a previous page's next_cursor
};

struct SearchOptions {
  std::string account_id;  // empty: every account
  EventType type = EventType::Unknown;
  int64_t min_amount = 0;
  int64_t max_amount = 0;  // 0: no bound
  int64_t from_ns = 0;
  int64_t to_ns = 0;
  uint32_t limit = 100;
  uint64_t cursor = 0;
};

class Query {
 public:
  static Query account(std::string account_id);
  static Query balance(std::string account_id);
  static Query accounts(std::string owner, uint64_t cursor = 0, uint32_t limit = 100);
  static Query history(std::string account_id, HistoryOptions options = {});
  static Query event_trail(std::string account_id, uint64_t cursor = 0, uint32_t limit = 100);
  static Query reserve(std::string currency = {});
  static Query top_accounts(std::string currency, uint32_t limit = 10);
  static Query summary(std::string account_id);
  static Query daily_balances(std::string account_id, int32_t from_day, int32_t to_day);
  static Query search(SearchOptions options);
  static Query balance_at_time(std::string account_id, int64_t at_ns);
  static Query balance_at_sequence(std::string account_id, uint64_t at_sequence);
  static Query projection_status();
  static Query rebuild_projections();

  // Answer only once the read model has applied this sequence (a command's result sequence).
  Query& min_sequence(uint64_t sequence) {
    min_sequence_ = sequence;
    return *this;
  }
  protocol::RequestBody type() const { return type_; }

  // Appends the framed Request to `frame`.
  void encode(const Id128& request_id, std::vector<uint8_t>& frame) const;

 private:
  using BodyWriter = std::function<flatbuffers::Offset<void>(flatbuffers::FlatBufferBuilder&)>;
  Query(protocol::RequestBody type, BodyWriter body) : type_(type), body_(std::move(body)) {}

  protocol::RequestBody type_;
  BodyWriter body_;
  uint64_t min_sequence_ = 0;
};

// The server's answer to a query.
struct QueryReply {
  std::vector<uint8_t> message;  // the Response, verified; vector storage is aligned for it

  const protocol::Response& response() const {
    return *flatbuffers::GetRoot<protocol::Response>(message.data());
  }
  // How far the answering read model had got.
  uint64_t read_sequence() const { return response().read_sequence(); }
  protocol::ResponseBody type() const { return response().body_type(); }
  // The result table, or nullptr if the answer is of another type.
  template <typename Result>
  const Result* body() const {
    return response().template body_as<Result>();
  }
};

}  // namespace tally::client
