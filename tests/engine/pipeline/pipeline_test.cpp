// The whole in-process pipeline: producers → ingress → business-logic thread → event ring →
// consumers, with real threads (run under ThreadSanitizer in CI).
#include "engine/pipeline/pipeline.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "engine/wire/wire_encoder.h"
#include "support/ledger_harness.h"
#include "support/pipeline_harness.h"

namespace tally {
namespace {

// Like a journaler: checks the ledger sequence is gapless over events, totals the money.
class SequenceChecker : public OutcomeHandler {
 public:
  void on_event(const Outcome& event, int64_t, bool) override {
    ++entries;
    if (event.is_replayed_answer()) {
      ++replayed;
      return;
    }
    rejected += event.type == EventType::CommandRejected ? 1 : 0;
    gaps += event.sequence == last_sequence + 1 ? 0 : 1;
    last_sequence = event.sequence;
    if (event.type == EventType::AccountOpened || event.type == EventType::Deposited) {
      money_in += event.amount;
    } else if (event.type == EventType::Withdrawn) {
      money_out += event.amount;
    }
  }
  int64_t entries = 0;
  int64_t replayed = 0;
  int64_t rejected = 0;
  uint64_t last_sequence = 0;
  int64_t gaps = 0;
  int64_t money_in = 0;
  int64_t money_out = 0;
};

// Like a replier: counts completed requests per origin, checks it runs after the journaler.
class RequestCounter : public OutcomeHandler {
 public:
  explicit RequestCounter(const Sequence& upstream) : upstream_(upstream) {}
  void on_event(const Outcome& event, int64_t position, bool) override {
    ordering_errors += upstream_.get() >= position ? 0 : 1;
    if (event.is_last_in_request()) {
      ++requests_by_origin[event.origin];
    }
  }
  std::map<uint64_t, int64_t> requests_by_origin;
  int64_t ordering_errors = 0;

 private:
  const Sequence& upstream_;
};

using testing::frame_of;
using testing::submit;

TEST(PipelineTest, ProducersToConsumersLosesNothingAndConservesMoney) {
  PipelineConfig config;
  config.ring_capacity = 1 << 12;
  config.ledger.batch_commands_max = 64;
  config.ingress.batch_commands_max = 64;
  config.ingress.batches_in_flight_max = 16;  // small: exercises back-pressure
  // Handlers outlive the pipeline: its destructor stops the consumer threads that call them.
  SequenceChecker journal;
  SequenceChecker projector;
  std::unique_ptr<RequestCounter> replier;
  Pipeline pipeline(config);
  OutcomeConsumer& journal_consumer = pipeline.add_consumer("journal", journal);
  replier = std::make_unique<RequestCounter>(journal_consumer.cursor());
  pipeline.add_consumer("replier", *replier, {&journal_consumer});
  pipeline.add_consumer("projector", projector);
  pipeline.start();

  const std::vector<std::string> ids = {"a", "b", "c", "d"};
  std::vector<Command> opens;
  for (const std::string& id : ids) {
    opens.push_back(testing::open_command(id, "EUR", 1000));
  }
  ASSERT_EQ(submit(pipeline.ingress(), frame_of(opens, 1), 0), ResultCode::Ok);

  constexpr int kProducers = 2;
  constexpr int kRequestsPerProducer = 3000;
  std::vector<std::thread> producers;
  for (int producer = 0; producer < kProducers; ++producer) {
    producers.emplace_back([&, producer] {
      for (int request = 0; request < kRequestsPerProducer; ++request) {
        const std::string& from = ids[(request + producer) % ids.size()];
        const std::string& to = ids[(request + producer + 1) % ids.size()];
        const Command commands[] = {testing::deposit_command(from, 5),
                                    testing::withdraw_command(to, 3),
                                    testing::transfer_command(from, to, 7)};
        const uint64_t request_id = 1000 + static_cast<uint64_t>(producer) * 100000 + request;
        EXPECT_EQ(submit(pipeline.ingress(), frame_of(commands, request_id), producer + 1),
                  ResultCode::Ok);
      }
    });
  }
  for (std::thread& producer : producers) {
    producer.join();
  }
  pipeline.stop();

  constexpr int64_t kEntries = 4 + kProducers * kRequestsPerProducer * 3;
  EXPECT_EQ(journal.entries, kEntries);
  EXPECT_EQ(projector.entries, kEntries);
  EXPECT_EQ(journal.gaps, 0);
  EXPECT_EQ(journal.last_sequence, static_cast<uint64_t>(kEntries));
  EXPECT_EQ(replier->ordering_errors, 0);
  EXPECT_EQ(replier->requests_by_origin[1], kRequestsPerProducer);
  EXPECT_EQ(replier->requests_by_origin[2], kRequestsPerProducer);
  EXPECT_EQ(pipeline.processor().commands_applied(), static_cast<uint64_t>(kEntries));

  int64_t total_balance = 0;
  pipeline.ledger().accounts().for_each(
      [&](std::string_view, const Account& account) { total_balance += account.balance; });
  EXPECT_EQ(total_balance, journal.money_in - journal.money_out);
}

TEST(PipelineTest, MalformedFramesAreRefusedAtSubmitAndNeverReachTheLogicThread) {
  SequenceChecker journal;
  Pipeline pipeline(PipelineConfig{});
  pipeline.add_consumer("journal", journal);
  pipeline.start();
  IngressBatch* batch = pipeline.ingress().acquire();
  ASSERT_NE(batch, nullptr);
  batch->frame.assign(100, 0x5A);
  EXPECT_EQ(pipeline.ingress().submit(batch), ResultCode::InvalidArgument);
  batch->frame.assign((1 << 20) + 1, 0);
  EXPECT_EQ(pipeline.ingress().submit(batch), ResultCode::LimitExceeded);
  pipeline.ingress().release(batch);
  pipeline.stop();
  EXPECT_EQ(journal.entries, 0);
}

TEST(PipelineTest, ExhaustedPoolPushesBackInsteadOfBlocking) {
  PipelineConfig config;
  config.ingress.batches_in_flight_max = 2;
  Pipeline pipeline(config);  // not started: nothing drains
  IngressBatch* first = pipeline.ingress().acquire();
  IngressBatch* second = pipeline.ingress().acquire();
  EXPECT_NE(first, nullptr);
  EXPECT_NE(second, nullptr);
  EXPECT_EQ(pipeline.ingress().acquire(), nullptr);
  pipeline.ingress().release(first);
  EXPECT_NE(pipeline.ingress().acquire(), nullptr);
}

TEST(PipelineTest, StopDrainsEverythingSubmittedBeforeIt) {
  PipelineConfig config;
  config.wait_kind = WaitKind::kBlock;
  SequenceChecker journal;
  Pipeline pipeline(config);
  pipeline.add_consumer("journal", journal);
  pipeline.start();
  const Command open[] = {testing::open_command("a", "EUR", 1)};
  const Command deposit[] = {testing::deposit_command("a", 1)};
  for (uint64_t request = 0; request < 500; ++request) {
    ASSERT_EQ(submit(pipeline.ingress(),
                     request == 0 ? frame_of(open, 0) : frame_of(deposit, request), 9),
              ResultCode::Ok);
  }
  pipeline.stop();
  EXPECT_EQ(journal.entries, 500);
  EXPECT_EQ(journal.money_in, 500);
}

TEST(PipelineTest, SubmitAfterStopIsUnavailableAndKeepsTheBatch) {
  SequenceChecker journal;
  Pipeline pipeline(PipelineConfig{});
  pipeline.add_consumer("journal", journal);
  pipeline.start();
  pipeline.stop();
  const Command open[] = {testing::open_command("late", "EUR", 1)};
  IngressBatch* batch = pipeline.ingress().acquire();
  ASSERT_NE(batch, nullptr);
  batch->frame = frame_of(open, 1);
  EXPECT_EQ(pipeline.ingress().submit(batch), ResultCode::Unavailable);
  pipeline.ingress().release(batch);
  EXPECT_EQ(journal.entries, 0);
}

TEST(PipelineTest, GroupsLargerThanHalfTheRingArePublishedAsTheyGo) {
  // A ring of 16 with batches of 8: a group of dequeued batches passes half the ring, so the
  // processor must publish mid-group or it would wait for slots no consumer could free.
  PipelineConfig config;
  config.ring_capacity = 16;
  config.ledger.batch_commands_max = 8;
  config.ingress.batch_commands_max = 8;
  SequenceChecker journal;
  Pipeline pipeline(config);
  pipeline.add_consumer("journal", journal);
  const Command open[] = {testing::open_command("a", "EUR", 0)};
  ASSERT_EQ(submit(pipeline.ingress(), frame_of(open, 1), 1), ResultCode::Ok);
  const std::vector<Command> deposits(8, testing::deposit_command("a", 1));
  for (uint64_t request = 2; request < 40; ++request) {  // queued before the logic thread starts
    ASSERT_EQ(submit(pipeline.ingress(), frame_of(deposits, request), 1), ResultCode::Ok);
  }
  pipeline.start();
  pipeline.stop();
  EXPECT_EQ(journal.entries, 1 + 38 * 8);
  EXPECT_EQ(journal.gaps, 0);
  EXPECT_EQ(journal.money_in, 38 * 8);
}

// A stage of a consumer with two: notes how far it got and where groups ended; the second
// checks, for each entry, that the first handled the entry's whole group before it.
class GroupStage : public OutcomeHandler {
 public:
  explicit GroupStage(const GroupStage* before = nullptr) : before_(before) {}
  void on_event(const Outcome&, int64_t position, bool end_of_batch) override {
    ++entries;
    if (before_ != nullptr) {
      // The stage before has handled this group to its end, and ended it where this one does.
      early += before_->handled < position || before_->group_end < position ? 1 : 0;
      regrouped += end_of_batch != (before_->group_end == position) ? 1 : 0;
    }
    handled = position;
    if (end_of_batch) {
      group_end = position;
    }
  }
  int64_t entries = 0;
  int64_t handled = -1;
  int64_t group_end = -1;
  int64_t early = 0;
  int64_t regrouped = 0;

 private:
  const GroupStage* before_;
};

TEST(PipelineTest, StagesOfOneConsumerEachHandleAWholeGroupInTurn) {
  PipelineConfig config;
  config.ring_capacity = 1 << 10;  // small: the producer waits on the stages now and then
  config.ledger.batch_commands_max = 64;
  config.ingress.batch_commands_max = 64;
  GroupStage first;
  GroupStage second(&first);
  Pipeline pipeline(config);
  const OutcomeConsumer& consumer = pipeline.add_consumer("stages", {&first, &second});
  pipeline.start();
  const Command open[] = {testing::open_command("a", "EUR", 0)};
  ASSERT_EQ(submit(pipeline.ingress(), frame_of(open, 1), 1), ResultCode::Ok);
  const std::vector<Command> deposits(5, testing::deposit_command("a", 1));
  for (uint64_t request = 2; request < 2000; ++request) {
    ASSERT_EQ(submit(pipeline.ingress(), frame_of(deposits, request), 1), ResultCode::Ok);
  }
  pipeline.stop();
  EXPECT_EQ(first.entries, 1 + 1998 * 5);
  EXPECT_EQ(second.entries, first.entries);
  EXPECT_EQ(second.early, 0);
  EXPECT_EQ(second.regrouped, 0);
  EXPECT_EQ(consumer.stage_cursor(0).get(), first.entries - 1);  // positions count from 0
  EXPECT_EQ(consumer.stage_cursor(1).get(), first.entries - 1);
  EXPECT_EQ(consumer.cursor().get(), first.entries - 1);
}

// Like a replier: looks up the trace of every request's last entry, as tallyd's does.
class TraceReader : public OutcomeHandler {
 public:
  explicit TraceReader(const RequestTraces& traces) : traces_(traces) {}
  void on_event(const Outcome& event, int64_t position, bool) override {
    if (!event.is_last_in_request()) {
      return;
    }
    if (const RequestTrace* trace = traces_.find(position)) {
      ++sampled;
      out_of_order += trace->queued_ns > 0 && trace->queued_ns <= trace->applied_ns ? 0 : 1;
    }
    requests.fetch_add(1, std::memory_order_release);
  }
  std::atomic<int64_t> requests{0};
  int64_t sampled = 0;
  int64_t out_of_order = 0;

 private:
  const RequestTraces& traces_;
};

TEST(PipelineTest, SampledRequestsCarryTheirTimestampsToTheConsumers) {
  Pipeline pipeline(PipelineConfig{});
  TraceReader reader(pipeline.processor().traces());
  pipeline.add_consumer("replier", reader);
  pipeline.start();
  constexpr int64_t kRequests = 200;
  // A thread of its own, so that its first submit is stamped; one request at a time, so that
  // each is a group of its own: the first and then one in kSubmitsPerTimestamp are sampled.
  std::thread producer([&] {
    const Command open[] = {testing::open_command("a", "EUR", 0)};
    const Command deposit[] = {testing::deposit_command("a", 1)};
    for (int64_t request = 0; request < kRequests; ++request) {
      const auto id = static_cast<uint64_t>(request + 1);
      ASSERT_EQ(
          submit(pipeline.ingress(), request == 0 ? frame_of(open, id) : frame_of(deposit, id), 1),
          ResultCode::Ok);
      while (reader.requests.load(std::memory_order_acquire) <= request) {
        std::this_thread::yield();
      }
    }
  });
  producer.join();
  pipeline.stop();
  constexpr int64_t kSampled =
      (kRequests + Ingress::kSubmitsPerTimestamp - 1) / Ingress::kSubmitsPerTimestamp;
  EXPECT_EQ(reader.sampled, kSampled);
  EXPECT_EQ(reader.out_of_order, 0);
  EXPECT_EQ(pipeline.processor().ingress_wait().summarize().count, uint64_t{kSampled});
  EXPECT_EQ(pipeline.processor().logic_apply().summarize().count, uint64_t{kSampled});
}

TEST(PipelineTest, RetriesAndAtomicBatchesThroughTheIngress) {
  SequenceChecker journal;
  Pipeline pipeline(PipelineConfig{});
  pipeline.add_consumer("journal", journal);
  pipeline.start();
  const Command open[] = {testing::open_command("a", "EUR", 10)};
  const Command deposit[] = {testing::deposit_command("a", 5)};
  const Command failing[] = {testing::deposit_command("a", 1), testing::withdraw_command("a", 99)};
  ASSERT_EQ(submit(pipeline.ingress(), frame_of(open, 1), 1), ResultCode::Ok);
  ASSERT_EQ(submit(pipeline.ingress(), frame_of(deposit, 2), 1), ResultCode::Ok);
  ASSERT_EQ(submit(pipeline.ingress(), frame_of(deposit, 2), 2), ResultCode::Ok);  // a retry
  ASSERT_EQ(submit(pipeline.ingress(), frame_of(failing, 3, true), 1), ResultCode::Ok);
  pipeline.stop();
  EXPECT_EQ(journal.entries, 5);
  EXPECT_EQ(journal.replayed, 1);
  EXPECT_EQ(journal.rejected, 2);
  EXPECT_EQ(journal.gaps, 0);
  EXPECT_EQ(journal.last_sequence, 4u);
  const AccountDirectory& accounts = pipeline.ledger().accounts();
  EXPECT_EQ(accounts.at(accounts.find("a")).balance, 15);
}

TEST(PipelineTest, InconsistentConfigurationIsRefusedAtStartUp) {
  PipelineConfig not_power_of_two;
  not_power_of_two.ring_capacity = 1000;
  EXPECT_THROW(Pipeline{not_power_of_two}, std::invalid_argument);
  PipelineConfig ring_too_small;
  ring_too_small.ring_capacity = 8192;  // the default batch of 8190 needs 16384
  EXPECT_THROW(Pipeline{ring_too_small}, std::invalid_argument);
  PipelineConfig disagreeing;
  disagreeing.ingress.batch_commands_max = 100;
  EXPECT_THROW(Pipeline{disagreeing}, std::invalid_argument);
  EXPECT_TRUE(PipelineConfig{}.validate().is_ok());
}

}  // namespace
}  // namespace tally
