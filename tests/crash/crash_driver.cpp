// tally-crash-driver: the engine under a stream of commands, to be killed. Recovers the data
// directory given, journals to it with group sync, and prints "ack <sequence>" (flushed) for
// every request a replier after the journaler would acknowledge. It never stops by itself:
// the crash test SIGKILLs it at random moments and checks what recovery finds.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "engine/journal/journaler.h"
#include "engine/journal/posix_storage.h"
#include "engine/journal/recovery.h"
#include "engine/pipeline/pipeline.h"
#include "support/ledger_harness.h"
#include "support/pipeline_harness.h"

namespace {

using namespace tally;

const std::vector<std::string> kAccounts = {"a", "b", "c", "d", "e", "f", "g", "h"};

class Acknowledger : public OutcomeHandler {
 public:
  void on_event(const Outcome& event, int64_t, bool end_of_batch) override {
    if (event.is_last_in_request()) {
      last_ = event.sequence;
    }
    if (end_of_batch && last_ != 0) {
      std::printf("ack %llu\n", static_cast<unsigned long long>(last_));
      std::fflush(stdout);
    }
  }

 private:
  uint64_t last_ = 0;
};

std::vector<Command> random_request(std::mt19937_64& random) {
  const auto pick = [&]() -> const std::string& { return kAccounts[random() % kAccounts.size()]; };
  const auto amount = static_cast<int64_t>(random() % 200) + 1;
  switch (random() % 3) {
    case 0:
      return {testing::deposit_command(pick(), amount)};
    case 1:
      return {testing::withdraw_command(pick(), amount)};
    default:
      return {testing::transfer_command(pick(), pick(), amount),
              testing::deposit_command(pick(), amount)};
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: tally-crash-driver <data-directory> <seed>\n");
    return 2;
  }
  const std::string journal_directory = std::string(argv[1]) + "/journal";
  ::mkdir(journal_directory.c_str(), 0755);
  const uint64_t seed = std::strtoull(argv[2], nullptr, 10);
  journal::PosixStorage storage;
  auto ledger = std::make_unique<Ledger>(LedgerLimits{});
  const journal::RecoveryReport report = journal::recover(storage, journal_directory, *ledger);
  if (!report.status.is_ok()) {
    std::fprintf(stderr, "recovery: %s\n", report.status.message().c_str());
    return 1;
  }
  std::fprintf(stderr, "recovery: %llu events replayed in %.1f ms%s\n",
               static_cast<unsigned long long>(report.events_replayed),
               std::chrono::duration<double, std::milli>(report.duration).count(),
               report.cut ? ", torn tail cut" : "");
  const bool fresh = ledger->accounts().size() == 0;
  journal::JournalWriter writer(storage,
                                {.directory = journal_directory, .segment_bytes = 1 << 20});
  if (!writer.open(report.append_position, 0).is_ok())
    return 1;
  journal::Journaler journaler(writer, journal::SyncPolicy::kEveryBatch);
  Acknowledger acknowledger;
  Pipeline pipeline(PipelineConfig{}, std::move(ledger));
  OutcomeConsumer& journal_consumer = pipeline.add_consumer("journal", journaler);
  pipeline.add_consumer("replier", acknowledger, {&journal_consumer});
  pipeline.start();
  if (fresh) {
    std::vector<Command> opens;
    for (const std::string& id : kAccounts)
      opens.push_back(testing::open_command(id, "EUR", 1000));
    testing::submit(pipeline.ingress(), testing::frame_of(opens, seed << 32, true), 1);
  }
  std::mt19937_64 random(seed);
  for (uint64_t request = 1;; ++request) {
    const std::vector<Command> commands = random_request(random);
    if (testing::submit(pipeline.ingress(), testing::frame_of(commands, (seed << 32) | request),
                        1) != ResultCode::Ok) {
      break;  // the engine failed: stop, as tallyd would
    }
  }
  pipeline.stop();
  if (journaler.has_failed()) {
    std::fprintf(stderr, "journal failed, nothing after it was acknowledged: %s\n",
                 journaler.failure().message().c_str());
    return 1;
  }
  return 0;
}
