#include "fuzz/request_path.h"

#include <algorithm>
#include <optional>
#include <string>

#include "engine/journal/journal_tail.h"
#include "engine/journal/journal_writer.h"
#include "engine/ledger/ledger.h"
#include "engine/ledger/outcome_slots.h"
#include "engine/read/account_model.h"
#include "engine/read/history_model.h"
#include "engine/wire/fingerprint.h"
#include "engine/wire/wire_decoder.h"
#include "engine/wire/wire_encoder.h"
#include "fuzz/fuzz_check.h"
#include "net/protocol/messages.h"
#include "net/protocol/subscription_request.h"
#include "support/event_script.h"
#include "support/faulty_storage.h"

namespace tally::fuzz {
namespace {

constexpr int64_t kDayNs = 86'400'000'000'000;
constexpr int64_t kFirstDayNs = 19'700 * kDayNs;  // 2023-12-09
// Small segments, so that an account's history spans several of them.
constexpr uint64_t kSegmentBytes = 4096;
constexpr int64_t kNowNs = kFirstDayNs + 30 * kDayNs;

// Small tables, so that a ledger per request costs little; the batch limit is the server's.
LedgerLimits ledger_limits() {
  LedgerLimits limits;
  limits.batch_commands_max = RequestPath::kFuzzBatchCommandsMax;
  limits.accounts_max = 4096;
  limits.initial_account_capacity = 16;
  limits.idempotency_window = RequestPath::kFuzzBatchCommandsMax;
  limits.transaction_ids_max = 4096;
  limits.initial_transaction_capacity = 16;
  return limits;
}

// Every kind of event the read models index, over several days and segments.
void write_history(testing::EventScript& script) {
  script.when(kFirstDayNs + 3'600'000'000'000).open("alice", "EUR", 10'000, "Alice");
  script.open("bob", "EUR", 0, "Bob", 5'000);
  script.account_type = AccountType::Savings;
  script.open("yen", "JPY", 100'000, "Yamada");
  script.account_type = AccountType::Checking;
  script.deposit("alice", 2'500, Id128{.low = 7, .high = 0});
  script.withdraw("bob", 1'000);
  script.transfer("alice", "bob", 300);
  script.when(kFirstDayNs + kDayNs).freeze("bob", "audit");
  script.reject("bob", CommandType::Deposit, ResultCode::AccountFrozen, 5);
  script.unfreeze("bob");
  script.reject("ghost", CommandType::Withdraw, ResultCode::AccountNotFound, 10);
  script.open("closing", "EUR", 0, "Gone");
  script.close("closing");
  for (int day = 2; day < 12; ++day) {
    script.when(kFirstDayNs + day * kDayNs);
    for (int index = 0; index < 6; ++index) {
      script.deposit("alice", 100 + index);
      script.transfer("alice", "bob", 7);  // the ledger never transfers between currencies
      script.withdraw("bob", 3);
    }
  }
}

// Connection::handle_hello reads up to 64 bytes of the client's name for its logs; the table
// and the name may be absent.
void read_client_name(const protocol::Request& request) {
  const protocol::Hello* hello = request.body_as_Hello();
  const flatbuffers::String* name = hello == nullptr ? nullptr : hello->client_name();
  size_t printable = 0;
  for (size_t index = 0; name != nullptr && index < std::min<size_t>(name->size(), 64); ++index) {
    const char character = name->c_str()[index];
    printable += character >= 0x20 && character < 0x7f ? 1 : 0;
  }
  FUZZ_CHECK(printable <= 64);
}

}  // namespace

struct RequestPath::ReadSide {
  testing::FaultyStorage storage;
  read::AccountModel accounts;
  read::HistoryModel history{storage, "journal"};

  // Journals the script, then applies each event with the position it was journaled at, read
  // back as a projector reads it.
  ReadSide() {
    testing::EventScript script;
    write_history(script);
    journal::JournalWriter writer(
        storage,
        journal::JournalWriterConfig{.directory = "journal", .segment_bytes = kSegmentBytes});
    FUZZ_CHECK(writer.open({}, kFirstDayNs).is_ok());
    for (const Outcome& event : script.events) {
      FUZZ_CHECK(writer.append(event).is_ok());
    }
    FUZZ_CHECK(writer.sync().is_ok());
    journal::JournalTail tail(storage, "journal", journal::AppendPosition{});
    for (const Outcome& event : script.events) {
      const Result<const Outcome*> read = tail.next(writer.durable_sequence());
      FUZZ_CHECK(read.is_ok() && *read != nullptr && (*read)->sequence == event.sequence);
      // The script is one the ledger could have written: a model that refuses it is a finding.
      FUZZ_CHECK(accounts.apply(**read, tail.last_position()).is_ok());
      FUZZ_CHECK(history.apply(**read, tail.last_position()).is_ok());
    }
  }
};

RequestPath::RequestPath() : read_side_(std::make_unique<ReadSide>()) {}

RequestPath::~RequestPath() = default;

void RequestPath::handle(std::span<const uint8_t> message) {
  // Connection::handle_frame: FlatBuffers needs its buffer aligned; the stream's is not.
  aligned_.assign(message.begin(), message.end());
  const RequestVerdict verdict = verify_request(aligned_, kFuzzBatchCommandsMax);
  if (!verdict.ok()) {
    refuse(verdict.request, verdict.code, verdict.problem);
    return;
  }
  const protocol::Request& request = *verdict.request;
  if (request.body_type() != protocol::RequestBody::CommandBatch &&
      aligned_.size() > kQueryFrameBytesMax) {
    refuse(&request, ResultCode::LimitExceeded, "the frame is larger than max-query-frame-bytes");
    return;
  }
  switch (request.body_type()) {
    case protocol::RequestBody::Hello:
      read_client_name(request);
      return;
    case protocol::RequestBody::CommandBatch:
      handle_batch(request);
      return;
    case protocol::RequestBody::Subscribe:
    case protocol::RequestBody::SubscriptionCredit:
    case protocol::RequestBody::Unsubscribe:
      handle_subscription(request);
      return;
    default:
      handle_query(request);
  }
}

void RequestPath::handle_batch(const protocol::Request& request) {
  const RequestVerdict verdict = check_command_batch(request, kFuzzBatchCommandsMax);
  if (!verdict.ok()) {
    return;
  }
  // Ingress::submit_verified, on the connection's thread.
  CommandBatch batch = decode_command_request(aligned_, commands_);
  batch.fingerprint = request_fingerprint(batch);
  FUZZ_CHECK(batch.commands.size() == request.body_as_CommandBatch()->commands()->size());

  // What the decoder kept is the request: encoded again, it decodes to the same one.
  flatbuffers::FlatBufferBuilder again;
  encode_command_request(batch, again);
  const std::span<const uint8_t> again_frame = again.GetBufferSpan();
  FUZZ_CHECK(verify_command_request(again_frame, kFuzzBatchCommandsMax) == ResultCode::Ok);
  std::vector<Command> again_commands;
  CommandBatch again_batch = decode_command_request(again_frame, again_commands);
  FUZZ_CHECK(again_batch.request_id == batch.request_id);
  FUZZ_CHECK(again_batch.atomic == batch.atomic);
  FUZZ_CHECK(request_fingerprint(again_batch) == batch.fingerprint);

  // The business-logic thread, then a retry of the same request.
  Ledger ledger(ledger_limits());
  const auto count = static_cast<uint32_t>(batch.commands.size());
  std::vector<Outcome> first(count);
  std::vector<Outcome> retry(count);
  ledger.apply(batch, kNowNs, OutcomeSlots{.slots = first.data(), .count = count});
  ledger.apply(batch, kNowNs + 1000, OutcomeSlots{.slots = retry.data(), .count = count});
  for (uint32_t index = 0; index < count; ++index) {
    FUZZ_CHECK(!first[index].is_replayed_answer());
    FUZZ_CHECK(retry[index].is_replayed_answer());
    FUZZ_CHECK(retry[index].code == first[index].code);
    FUZZ_CHECK(retry[index].sequence == first[index].sequence);
  }
}

void RequestPath::handle_subscription(const protocol::Request& request) {
  // Connection::handle_subscription: read and checked before the hub sees it.
  const Result<net::SubscriptionRequest> read = net::read_subscription_request(request, 7);
  if (!read.is_ok()) {
    FUZZ_CHECK(read.status().code() == StatusCode::kInvalidArgument);
    FUZZ_CHECK(!read.status().message().empty());
    return;
  }
  FUZZ_CHECK(read->token == 7);
  FUZZ_CHECK(read->from_sequence >= 1);
  FUZZ_CHECK(read->filter.account_id.size() <= kAccountIdBytesMax);
  // Only real event types can be asked for (bit 0 is Unknown).
  constexpr uint32_t kEveryType = ((1u << (static_cast<uint32_t>(EventType::MAX) + 1)) - 1) & ~1u;
  FUZZ_CHECK((read->filter.type_mask & ~kEveryType) == 0);
  if (read->kind == net::SubscriptionRequest::Kind::kSubscribe) {
    FUZZ_CHECK(read->subscription == read->request_id);
  }
}

void RequestPath::handle_query(const protocol::Request& request) {
  // Connection::dispatch and handle_query: the status requests read nothing of their table,
  // and a query without its table is refused before any read model sees it.
  const protocol::RequestBody type = request.body_type();
  if (type == protocol::RequestBody::StatsQuery ||
      type == protocol::RequestBody::ProjectionStatusQuery ||
      type == protocol::RequestBody::RebuildProjections || request.body() == nullptr) {
    return;
  }
  read::ReadModel* model = nullptr;
  if (read_side_->accounts.answers(type)) {
    model = &read_side_->accounts;
  } else if (read_side_->history.answers(type)) {
    model = &read_side_->history;
  } else {
    return;  // "unknown request type"
  }
  // Projector::answer.
  builder_.Clear();
  const read::QueryAnswer answer = model->answer(request, builder_);
  const protocol::Uint128 request_id = *request.request_id();
  if (answer.code != ResultCode::Ok) {
    FUZZ_CHECK(!answer.message.empty());
    builder_.Clear();
    const auto error =
        protocol::CreateError(builder_, answer.code, builder_.CreateString(answer.message));
    builder_.Finish(protocol::CreateResponse(builder_, &request_id, protocol::ResponseBody::Error,
                                             error.Union(), 0),
                    protocol::RequestIdentifier());
  } else {
    FUZZ_CHECK(answer.body_type != protocol::ResponseBody::NONE);
    builder_.Finish(
        protocol::CreateResponse(builder_, &request_id, answer.body_type, answer.body, 0),
        protocol::RequestIdentifier());
  }
  expect_well_formed_answer();
}

// Connection::refuse: an Error with the request's id when it has one.
void RequestPath::refuse(const protocol::Request* request, ResultCode code,
                         std::string_view problem) {
  const bool has_id = request != nullptr && request->request_id() != nullptr;
  const Id128 request_id = has_id ? to_id128(request->request_id()) : Id128{};
  net::encode_error(builder_, has_id ? &request_id : nullptr, code, problem);
  expect_well_formed_answer();
}

// As tally::client reads an answer: it verifies, and a body type comes with its table.
void RequestPath::expect_well_formed_answer() {
  const std::vector<uint8_t> answer(builder_.GetBufferPointer(),
                                    builder_.GetBufferPointer() + builder_.GetSize());
  const protocol::Response* response = net::verify_response(answer);
  FUZZ_CHECK(response != nullptr);
  FUZZ_CHECK(response->body_type() == protocol::ResponseBody::NONE || response->body() != nullptr);
}

}  // namespace tally::fuzz
