// Read-side benchmarks: how fast a projector applies durable events to its read
// model (it must keep up with the logic thread's end-to-end rate, so reads never fall behind),
// and how fast it answers the two most common queries in-process, before TCP.
//
// The journal holds the standard workload: a million account openings, then a million events
// of traffic (deposits, withdrawals, transfers), written once to real segment files. Each
// iteration opens the accounts in a fresh model untimed, then times the traffic: the JournalTail
// reading and decoding records, plus the model's apply (through CompleteRequests, as the
// projector applies them).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "bench/workload.h"
#include "engine/journal/journal_tail.h"
#include "engine/journal/journal_writer.h"
#include "engine/journal/posix_storage.h"
#include "engine/ledger/complete_requests.h"
#include "engine/read/account_model.h"
#include "engine/read/history_model.h"

namespace tally::bench {
namespace {

constexpr uint32_t kBatch = 64;

// The journal every benchmark here reads, written on first use, removed at exit.
struct BenchmarkJournal {
  std::string directory;
  uint64_t openings = 0;
  uint64_t traffic = 0;
  std::vector<std::string> account_ids;  // the traffic's accounts, for queries

  BenchmarkJournal() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/tally-bench-XXXXXX";
    check(::mkdtemp(pattern.data()) != nullptr, "cannot create a scratch directory");
    directory = pattern;
    const Workload& workload = standard_workload();
    account_ids = workload.account_ids();
    Ledger ledger(benchmark_ledger_limits(workload, 0));
    journal::PosixStorage storage;
    journal::JournalWriter writer(storage, {.directory = directory, .segment_bytes = 64ULL << 20});
    check(writer.open({}, 0).is_ok(), "cannot open the benchmark journal");
    std::vector<Outcome> events(kBatch);
    uint64_t request = 0;
    const auto record = [&](std::span<const Command> commands, uint64_t high) {
      const CommandBatch batch{.request_id = {.low = ++request, .high = high},
                               .origin = 0,
                               .atomic = false,
                               .commands = commands};
      ledger.apply(batch, static_cast<int64_t>(request),
                   {.slots = events.data(),
                    .mask = ~uint64_t{0},
                    .first = 0,
                    .count = static_cast<uint32_t>(commands.size())});
      for (size_t index = 0; index < commands.size(); ++index) {
        check(writer.append(events[index]).is_ok(), "cannot append to the benchmark journal");
      }
    };
    const std::span<const Command> opens = workload.open_commands();
    for (size_t first = 0; first < opens.size(); first += kBatch) {
      record(opens.subspan(first, std::min<size_t>(kBatch, opens.size() - first)),
             kOpeningRequestIdHigh);
    }
    openings = opens.size();
    for (uint64_t batch = 0; batch < (1 << 20) / kBatch; ++batch) {
      record(workload.traffic_batch(batch, kBatch), kTrafficRequestIdHigh);
    }
    traffic = uint64_t{1} << 20;
    check(writer.sync().is_ok(), "cannot sync the benchmark journal");
  }
  ~BenchmarkJournal() { std::system(("rm -rf " + directory).c_str()); }
};

const BenchmarkJournal& benchmark_journal() {
  static const BenchmarkJournal journal;
  return journal;
}

enum class ModelKind { kNone, kAccounts, kHistory };

std::unique_ptr<read::ReadModel> make_model(ModelKind kind, journal::Storage& storage,
                                            const std::string& directory) {
  switch (kind) {
    case ModelKind::kAccounts:
      return std::make_unique<read::AccountModel>();
    case ModelKind::kHistory:
      return std::make_unique<read::HistoryModel>(storage, directory);
    default:
      return nullptr;
  }
}

// Applies `count` events from `tail` to `model` (or only reads them, without a model). With
// `whole_requests`, through CompleteRequests as the projector does (every request of the
// traffic has 64 events, so each is gathered before it is applied); without, event by event:
// the A/B of what the rule costs.
void apply(journal::JournalTail& tail, read::ReadModel* model, uint64_t count,
           bool whole_requests = true) {
  struct PositionedEvent {
    Outcome event;
    journal::JournalPosition position;
  };
  CompleteRequests<PositionedEvent> requests;
  const uint64_t last = tail.next_sequence() + count - 1;
  for (uint64_t index = 0; index < count; ++index) {
    const Result<const Outcome*> next = tail.next(last);
    check(next.is_ok() && *next != nullptr, "the benchmark journal ended early");
    const Outcome* event = *next;
    if (model != nullptr && whole_requests) {
      const PositionedEvent entry{.event = *event, .position = tail.last_position()};
      for (const PositionedEvent& complete : requests.add(entry)) {
        check(model->apply(complete.event, complete.position).is_ok(), "a model refused an event");
      }
    } else if (model != nullptr) {
      check(model->apply(*event, tail.last_position()).is_ok(), "a model refused an event");
    }
    benchmark::DoNotOptimize(event->sequence);
  }
}

void projector_apply(benchmark::State& state, ModelKind kind, bool whole_requests) {
  const BenchmarkJournal& journal = benchmark_journal();
  journal::PosixStorage storage;
  for (auto _ : state) {
    state.PauseTiming();
    std::unique_ptr<read::ReadModel> model = make_model(kind, storage, journal.directory);
    journal::JournalTail tail(storage, journal.directory, {});
    apply(tail, model.get(), journal.openings);
    state.ResumeTiming();
    apply(tail, model.get(), journal.traffic, whole_requests);
    state.PauseTiming();
    model.reset();  // freeing a million accounts is not the projector's steady state
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * journal.traffic));
}

BENCHMARK_CAPTURE(projector_apply, tail_only, ModelKind::kNone, false)
    ->Name("ProjectorApply/model:none")
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(projector_apply, accounts, ModelKind::kAccounts, true)
    ->Name("ProjectorApply/model:accounts")
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(projector_apply, accounts_event_by_event, ModelKind::kAccounts, false)
    ->Name("ProjectorApply/model:accounts/event_by_event")
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(projector_apply, history, ModelKind::kHistory, true)
    ->Name("ProjectorApply/model:history")
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(projector_apply, history_event_by_event, ModelKind::kHistory, false)
    ->Name("ProjectorApply/model:history/event_by_event")
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

// A query frame for the hot accounts of the workload, in turn.
std::vector<uint8_t> query_frame(const std::string& account_id, bool history) {
  flatbuffers::FlatBufferBuilder builder;
  const auto id = builder.CreateString(account_id);
  const auto body =
      history ? protocol::CreateHistoryQuery(builder, id, protocol::Order::NewestFirst, 0, 0, 50)
                    .Union()
              : protocol::CreateAccountQuery(builder, id).Union();
  const protocol::Uint128 request_id(1, 1);
  protocol::FinishRequestBuffer(
      builder, protocol::CreateRequest(builder, 1, &request_id, 0,
                                       history ? protocol::RequestBody::HistoryQuery
                                               : protocol::RequestBody::AccountQuery,
                                       body));
  return {builder.GetBufferPointer(), builder.GetBufferPointer() + builder.GetSize()};
}

void projector_query(benchmark::State& state, ModelKind kind) {
  const BenchmarkJournal& journal = benchmark_journal();
  journal::PosixStorage storage;
  std::unique_ptr<read::ReadModel> model = make_model(kind, storage, journal.directory);
  journal::JournalTail tail(storage, journal.directory, {});
  apply(tail, model.get(), journal.openings + journal.traffic);
  // Hot accounts (every 10th) have the long histories.
  std::vector<std::vector<uint8_t>> frames;
  for (size_t index = 0; index < 1024; ++index) {
    frames.push_back(query_frame(journal.account_ids[index * 10], kind == ModelKind::kHistory));
  }
  flatbuffers::FlatBufferBuilder builder(4096);
  size_t next = 0;
  for (auto _ : state) {
    builder.Clear();
    const read::QueryAnswer answer =
        model->answer(*protocol::GetRequest(frames[next++ % frames.size()].data()), builder);
    check(answer.code == ResultCode::Ok, "a benchmark query was refused");
    benchmark::DoNotOptimize(answer.body);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(projector_query, account, ModelKind::kAccounts)
    ->Name("ProjectorQuery/account_details");
BENCHMARK_CAPTURE(projector_query, history, ModelKind::kHistory)
    ->Name("ProjectorQuery/history_page_50");

}  // namespace
}  // namespace tally::bench
