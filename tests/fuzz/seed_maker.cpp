// tally-fuzz-seeds: writes the seed corpora of the fuzz targets, tests/fuzz/corpus/<target>/,
// from real data made by the engine's own encoders: request frames of every kind, framed
// streams, event payloads, journal records and segments written by JournalWriter, snapshots of
// ledgers, and CLI text.
//
//   build-fuzz/tests/fuzz/tally-fuzz-seeds tests/fuzz/corpus
//
// Each seed is a file "seed-<hash of its bytes>"; earlier seed-* files are replaced, and other
// files (regression-* inputs that once crashed a target) are left alone.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/hashing.h"
#include "engine/base/id_text.h"
#include "engine/journal/journal_format.h"
#include "engine/journal/journal_writer.h"
#include "engine/journal/record_codec.h"
#include "engine/journal/snapshot.h"
#include "engine/wire/event_codec.h"
#include "engine/wire/wire_encoder.h"
#include "fuzz/small_ledger.h"
#include "net/protocol/frame.h"
#include "support/event_script.h"
#include "support/faulty_storage.h"
#include "support/ledger_harness.h"

namespace tally::fuzz {
namespace {

using Bytes = std::vector<uint8_t>;
using Corpora = std::map<std::string, std::vector<Bytes>>;

Bytes bytes_of(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

Bytes finished(const flatbuffers::FlatBufferBuilder& builder) {
  return Bytes(builder.GetBufferPointer(), builder.GetBufferPointer() + builder.GetSize());
}

// ---- Requests --------------------------------------------------------------------------------

Bytes batch_frame(std::span<const Command> commands, bool atomic, uint64_t request) {
  flatbuffers::FlatBufferBuilder builder;
  encode_command_request({.request_id = {.low = request, .high = 9},
                          .origin = 0,
                          .atomic = atomic,
                          .commands = commands},
                         builder);
  return finished(builder);
}

template <typename MakeBody>
Bytes request_frame(protocol::RequestBody type, MakeBody make_body, uint64_t min_sequence = 0) {
  flatbuffers::FlatBufferBuilder builder;
  const auto body = make_body(builder);
  const protocol::Uint128 request_id(77, 9);
  protocol::FinishRequestBuffer(
      builder, protocol::CreateRequest(builder, 1, &request_id, min_sequence, type, body.Union()));
  return finished(builder);
}

Bytes tableless_command_frame(protocol::Command type) {
  flatbuffers::FlatBufferBuilder builder;
  std::vector<flatbuffers::Offset<protocol::CommandEntry>> entries{
      protocol::CreateCommandEntry(builder, type, 0)};
  const auto batch = protocol::CreateCommandBatchDirect(builder, false, &entries);
  const protocol::Uint128 request_id(11, 1);
  protocol::FinishRequestBuffer(
      builder, protocol::CreateRequest(builder, 1, &request_id, 0,
                                       protocol::RequestBody::CommandBatch, batch.Union()));
  return finished(builder);
}

// Transaction texts of every kind the journal stores differently: free-form, an upper-case
// UUID (kept as given), a lower-case one (stored as an empty text).
constexpr std::string_view kTransactionTexts[] = {"order 42/refund",
                                                  "3F2504E0-4F89-11D3-9A0C-0305E82C3301",
                                                  "3f2504e0-4f89-11d3-9a0c-0305e82c3301"};

std::vector<Bytes> command_frames() {
  Command transfer = testing::transfer_command("alice", "bob", 300);
  transfer.transaction_id = {.low = 5, .high = 6};
  transfer.expected_version = 2;
  transfer.expected_counterparty_version = 1;
  Command deposit = testing::deposit_command("alice", 2'500);
  deposit.expected_version = 1;
  const Command every[] = {testing::open_command("alice", "EUR", 10'000, 500, "Alice"),
                           deposit,
                           testing::withdraw_command("alice", 100),
                           transfer,
                           testing::freeze_command("bob", "audit"),
                           testing::unfreeze_command("bob"),
                           testing::close_command("bob")};
  std::vector<Bytes> frames;
  uint64_t request = 1;
  for (const Command& command : every) {
    frames.push_back(batch_frame({&command, 1}, false, request++));
  }
  frames.push_back(batch_frame(every, true, request++));
  frames.push_back(batch_frame(every, false, request++));
  frames.push_back(tableless_command_frame(protocol::Command::Deposit));
  // Transaction ids given as text: free-form, an upper-case and a lower-case UUID.
  for (const std::string_view text : kTransactionTexts) {
    Command with_text = testing::deposit_command("alice", 7);
    with_text.transaction_text = text;
    with_text.transaction_id = id_of_text(text);
    frames.push_back(batch_frame({&with_text, 1}, false, request++));
  }
  return frames;
}

std::vector<Bytes> query_frames() {
  using namespace protocol;
  std::vector<Bytes> frames;
  frames.push_back(request_frame(RequestBody::Hello, [](auto& builder) {
    return CreateHello(builder, builder.CreateString("fuzz-seed"));
  }));
  frames.push_back(request_frame(RequestBody::StatsQuery,
                                 [](auto& builder) { return CreateStatsQuery(builder); }));
  frames.push_back(request_frame(RequestBody::ProjectionStatusQuery, [](auto& builder) {
    return CreateProjectionStatusQuery(builder);
  }));
  frames.push_back(request_frame(RequestBody::AccountQuery, [](auto& builder) {
    return CreateAccountQuery(builder, builder.CreateString("alice"));
  }));
  frames.push_back(request_frame(
      RequestBody::BalanceQuery,
      [](auto& builder) { return CreateBalanceQuery(builder, builder.CreateString("bob")); }, 3));
  frames.push_back(request_frame(RequestBody::AccountListQuery, [](auto& builder) {
    return CreateAccountListQuery(builder, builder.CreateString("Alice"), 0, 2);
  }));
  frames.push_back(request_frame(RequestBody::HistoryQuery, [](auto& builder) {
    return CreateHistoryQuery(builder, builder.CreateString("alice"), Order::OldestFirst, 0, 0, 5,
                              0);
  }));
  frames.push_back(request_frame(RequestBody::EventTrailQuery, [](auto& builder) {
    return CreateEventTrailQuery(builder, builder.CreateString("bob"), 2, 10);
  }));
  frames.push_back(request_frame(RequestBody::ReserveQuery, [](auto& builder) {
    return CreateReserveQuery(builder, builder.CreateString("EUR"));
  }));
  frames.push_back(request_frame(RequestBody::TopAccountsQuery, [](auto& builder) {
    return CreateTopAccountsQuery(builder, builder.CreateString("EUR"), 3);
  }));
  frames.push_back(request_frame(RequestBody::AccountSummaryQuery, [](auto& builder) {
    return CreateAccountSummaryQuery(builder, builder.CreateString("alice"));
  }));
  frames.push_back(request_frame(RequestBody::DailyBalancesQuery, [](auto& builder) {
    return CreateDailyBalancesQuery(builder, builder.CreateString("alice"), 19'700, 19'712);
  }));
  frames.push_back(request_frame(RequestBody::TransactionSearchQuery, [](auto& builder) {
    return CreateTransactionSearchQuery(builder, 0, EventType::Transferred, 5, 500, 0, 0, 20, 0);
  }));
  frames.push_back(request_frame(RequestBody::BalanceAsOfQuery, [](auto& builder) {
    return CreateBalanceAsOfQuery(builder, builder.CreateString("bob"),
                                  19'705LL * 86'400'000'000'000, 0);
  }));
  frames.push_back(request_frame(RequestBody::Subscribe, [](auto& builder) {
    const std::vector<EventType> types = {EventType::Deposited, EventType::Transferred};
    return CreateSubscribe(builder, 3, builder.CreateString("alice"), builder.CreateVector(types),
                           64);
  }));
  frames.push_back(request_frame(RequestBody::SubscriptionCredit, [](auto& builder) {
    const protocol::Uint128 subscription(77, 9);
    return CreateSubscriptionCredit(builder, &subscription, 128);
  }));
  frames.push_back(request_frame(RequestBody::Unsubscribe, [](auto& builder) {
    const protocol::Uint128 subscription(77, 9);
    return CreateUnsubscribe(builder, &subscription);
  }));
  return frames;
}

// ---- Streams ---------------------------------------------------------------------------------

// Frames framed back to back, then the two plan bytes frame_reader_fuzz reads from the end.
Bytes stream_of(const std::vector<Bytes>& messages, uint8_t plan_first, uint8_t plan_second) {
  Bytes stream;
  for (const Bytes& message : messages) {
    net::append_frame(stream, message);
  }
  stream.push_back(plan_first);
  stream.push_back(plan_second);
  return stream;
}

std::vector<Bytes> streams(const std::vector<Bytes>& commands, const std::vector<Bytes>& queries) {
  std::vector<Bytes> result;
  result.push_back(stream_of({queries[0], commands[0], commands[1]}, 0x01, 0x5a));
  result.push_back(stream_of({queries[0], queries[3], queries[6]}, 0x02, 0x33));
  result.push_back(stream_of({commands[7]}, 0x04, 0x11));  // 256-byte limit: refused
  Bytes partial = stream_of({queries[0], commands[2]}, 0x00, 0x77);
  partial.erase(partial.end() - 12, partial.end() - 2);  // the last frame cut short
  result.push_back(partial);
  return result;
}

// ---- Events, records, segments ---------------------------------------------------------------

std::vector<Outcome> script_events() {
  testing::EventScript script;
  script.when(1'700'000'000'000'000'000).open("alice", "EUR", 10'000, "Alice", 500);
  script.account_type = AccountType::Savings;
  script.open("bob", "JPY", 0, "Bob");
  script.deposit("alice", 2'500, Id128{.low = 7, .high = 0});
  script.withdraw("alice", 100);
  script.open("carol", "EUR", 0, "Carol");
  script.transfer("alice", "carol", 300);
  script.freeze("carol", "audit");
  script.reject("carol", CommandType::Deposit, ResultCode::AccountFrozen, 5);
  script.unfreeze("carol");
  script.withdraw("carol", 300);
  script.close("carol");
  for (int index = 0; index < 30; ++index) {
    script.deposit("alice", 10 + index);
  }
  for (const std::string_view text : kTransactionTexts) {
    script.deposit("alice", 1, id_of_text(text), text);
  }
  return script.events;
}

std::vector<Bytes> event_payloads(const std::vector<Outcome>& events) {
  std::vector<Bytes> payloads;
  // The first eleven (one of each kind) and the last three (transaction texts).
  for (size_t index = 0; index < events.size();
       index = index == 10 ? events.size() - 3 : index + 1) {
    Bytes payload(1 + kEventPayloadBytesMax);
    payload[0] = static_cast<uint8_t>(events[index].type);
    const size_t size = encode_event_payload(events[index], std::span(payload).subspan(1));
    payload.resize(1 + size);
    payloads.push_back(payload);
  }
  return payloads;
}

// Records back to back after a flags byte, then `zeros` bytes of zeros.
Bytes records_of(std::span<const Outcome> events, uint8_t flags, size_t zeros) {
  Bytes bytes{flags};
  for (const Outcome& event : events) {
    const size_t start = bytes.size();
    bytes.resize(start + journal::kRecordBytesMax);
    bytes.resize(start + journal::write_record(event, std::span(bytes).subspan(start)));
  }
  bytes.resize(bytes.size() + zeros, 0);
  return bytes;
}

std::vector<Bytes> records(const std::vector<Outcome>& events) {
  std::vector<Bytes> result;
  result.push_back(records_of(std::span(events).first(1), 0, 0));
  result.push_back(records_of(std::span(events).first(6), 1, 64));
  result.push_back(records_of(std::span(events).subspan(5, 6), 0, 8));
  result.push_back(records_of(std::span(events).last(3), 0, 0));  // transaction texts
  Bytes cut = records_of(std::span(events).first(3), 0, 0);
  cut.resize(cut.size() - 20);  // the last record cut short
  result.push_back(cut);
  return result;
}

// The segment files JournalWriter writes for `events`, in order, each `segment_bytes` long.
std::vector<Bytes> segment_files(const std::vector<Outcome>& events, uint64_t segment_bytes) {
  testing::FaultyStorage storage;
  journal::JournalWriter writer(
      storage,
      journal::JournalWriterConfig{.directory = "journal", .segment_bytes = segment_bytes});
  if (!writer.open({}, 0).is_ok()) {
    throw std::runtime_error("cannot open a journal");
  }
  for (const Outcome& event : events) {
    if (!writer.append(event).is_ok()) {
      throw std::runtime_error("cannot append");
    }
  }
  if (!writer.sync().is_ok() || !writer.close().is_ok()) {
    throw std::runtime_error("cannot sync");
  }
  std::vector<std::string> names;
  storage.list_directory("journal", names);
  std::vector<Bytes> files;
  for (const std::string& name : names) {
    if (name.ends_with(".segment")) {
      files.emplace_back();
      storage.read_file("journal/" + name, files.back());
    }
  }
  return files;
}

// A journal_scan_fuzz input: the flags byte (files - 1 in bits 1-2), then the files.
Bytes journal_input(const std::vector<Bytes>& files, size_t count, uint8_t flags) {
  Bytes input{static_cast<uint8_t>(flags | (count - 1) << 1)};
  for (size_t index = 0; index < count; ++index) {
    input.insert(input.end(), files[index].begin(), files[index].end());
  }
  return input;
}

std::vector<Bytes> journals(const std::vector<Outcome>& events) {
  const std::vector<Bytes> files = segment_files(events, 1024);
  if (files.size() < 4) {
    throw std::runtime_error("expected at least four segments");
  }
  std::vector<Bytes> result;
  result.push_back(journal_input(files, 1, 0));
  result.push_back(journal_input(files, 2, 1));
  result.push_back(journal_input(files, 3, 0));
  result.push_back(journal_input(files, 4, 0));
  Bytes torn = journal_input(files, 1, 0);
  torn[1 + sizeof(journal::SegmentHeader) + 3 * 80 + 40] ^= 0x10;  // a flipped payload bit
  result.push_back(torn);
  // Every event, the deposits with transaction texts at the end included, in fewer segments.
  const std::vector<Bytes> whole = segment_files(events, 4096);
  if (whole.size() > 4) {
    throw std::runtime_error("expected at most four segments of 4096 bytes");
  }
  result.push_back(journal_input(whole, whole.size(), 0));
  return result;
}

// ---- Snapshots -------------------------------------------------------------------------------

std::vector<Bytes> snapshots() {
  testing::LedgerHarness harness(small_ledger_limits());
  std::vector<Bytes> result;
  const auto snapshot = [&] {
    Bytes input{0};
    const Bytes bytes = journal::encode_snapshot(harness.ledger());
    input.insert(input.end(), bytes.begin(), bytes.end());
    result.push_back(input);
  };
  snapshot();  // empty
  harness.apply_one(testing::open_command("alice", "EUR", 10'000, 500, "Alice"));
  harness.apply_one(testing::open_command("bob", "JPY", 0));
  snapshot();
  Command deposit = testing::deposit_command("alice", 250);
  deposit.transaction_id = {.low = 3, .high = 4};
  const Command batch[] = {deposit, testing::withdraw_command("alice", 50),
                           testing::transfer_command("alice", "bob", 1)};
  harness.apply(batch, true);
  harness.apply_one(testing::freeze_command("bob", "audit"));
  harness.apply_one(testing::open_command("closed", "EUR", 0));
  harness.apply_one(testing::close_command("closed"));
  snapshot();
  // Enough transaction ids for their set to grow a few times: its order then depends on the
  // order of insertion, which a restore does not keep.
  for (uint64_t index = 0; index < 100; ++index) {
    Command with_id = testing::deposit_command("alice", 1);
    with_id.transaction_id = {.low = 100 + index, .high = index * 7919};
    harness.apply_one(with_id);
  }
  snapshot();
  return result;
}

// ---- CLI text --------------------------------------------------------------------------------

// amount_fuzz: the decimal places' byte, an int64 to format, the text.
Bytes amount_input(uint8_t format, int64_t number, std::string_view text) {
  Bytes input{format};
  input.resize(9);
  std::memcpy(input.data() + 1, &number, sizeof(number));
  input.insert(input.end(), text.begin(), text.end());
  return input;
}

// time_text_fuzz: an int64 time and an int32 day to format, the text.
Bytes time_input(int64_t time_ns, int32_t day, std::string_view text) {
  Bytes input(12);
  std::memcpy(input.data(), &time_ns, sizeof(time_ns));
  std::memcpy(input.data() + 8, &day, sizeof(day));
  input.insert(input.end(), text.begin(), text.end());
  return input;
}

std::vector<Bytes> amounts() {
  return {amount_input(2, 1250, "12.50"),     amount_input(0, -5, "1000"),
          amount_input(3, 1, "0.005"),        amount_input(1, INT64_MIN, "92233720368547758.07"),
          amount_input(4, INT64_MAX, "12.5"), amount_input(5, 0, "0.00")};
}

std::vector<Bytes> times() {
  return {time_input(0, 0, "2026-11-23T10:00:00Z"),
          time_input(1'700'000'000'123'456'789, 19'700, "2026-11-23T10:00:00.5+01:00"),
          time_input(INT64_MAX, -719'528, "1700000000000000000"),
          time_input(-1, 2'932'896, "2262-04-11T23:47:16.854775807Z"),
          time_input(86'400'000'000'000, -1, "2024-02-29"),
          time_input(INT64_MIN, INT32_MAX, "1969-12-31T23:59:59-00:30")};
}

std::vector<Bytes> batches() {
  return {bytes_of("open alice --owner Alice --currency EUR --initial-deposit 100.00\n"
                   "deposit alice 12.50\nwithdraw alice 0.50 --expected-version 2\n"),
          bytes_of("# a comment\n\nopen bob --owner \"Bob B\" --currency JPY --type savings\n"
                   "deposit bob 500 --transaction-id 00000000000000000000000000000001\n"
                   "transfer alice bob 1.00 --currency EUR --expected-from-version 3\n"),
          bytes_of("freeze bob --reason 'audit check'\nunfreeze bob\nclose bob "
                   "--expected-version 7\n"),
          bytes_of("open k --owner K --currency KWD --overdraft 1.250\ndeposit k 0.001\n"),
          bytes_of("deposit alice twelve\n"),
          bytes_of("deposit alice 1 --transaction txn-1\n"
                   "withdraw alice 1 --transaction 3F2504E0-4F89-11D3-9A0C-0305E82C3301\n"
                   "transfer alice bob 1 --transaction '3f2504e0-4f89-11d3-9a0c-0305e82c3301'\n")};
}

// ---- Writing ---------------------------------------------------------------------------------

std::string hex(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(value));
  return text;
}

void write_corpus(const std::filesystem::path& directory, const std::vector<Bytes>& seeds) {
  std::filesystem::create_directories(directory);
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.path().filename().string().starts_with("seed-")) {
      std::filesystem::remove(entry.path());
    }
  }
  for (const Bytes& seed : seeds) {
    const std::filesystem::path path =
        directory / ("seed-" + hex(hash_bytes(seed.data(), seed.size())));
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(seed.data()),
               static_cast<std::streamsize>(seed.size()));
  }
  std::printf("%-14s %zu seeds\n", directory.filename().c_str(), seeds.size());
}

Corpora corpora() {
  const std::vector<Bytes> commands = command_frames();
  const std::vector<Bytes> queries = query_frames();
  const std::vector<Outcome> events = script_events();
  Corpora result;
  result["request"] = commands;
  result["request"].insert(result["request"].end(), queries.begin(), queries.end());
  result["frame_reader"] = streams(commands, queries);
  result["event_codec"] = event_payloads(events);
  result["record_codec"] = records(events);
  result["journal_scan"] = journals(events);
  result["snapshot"] = snapshots();
  result["amount"] = amounts();
  result["time_text"] = times();
  result["batch_input"] = batches();
  return result;
}

}  // namespace
}  // namespace tally::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus directory, e.g. tests/fuzz/corpus>\n", argv[0]);
    return 2;
  }
  for (const auto& [target, seeds] : tally::fuzz::corpora()) {
    tally::fuzz::write_corpus(std::filesystem::path(argv[1]) / target, seeds);
  }
  return 0;
}
