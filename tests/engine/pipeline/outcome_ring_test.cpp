// The event ring under real threads: order, gating, dependencies, halting, for every wait kind.
#include "engine/pipeline/outcome_ring.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "engine/pipeline/outcome_consumer.h"

namespace tally {
namespace {

// Checks that it sees positions 0, 1, 2... with the payload the producer wrote, and (when it
// has an upstream) that the upstream had already handled each one.
class CheckingHandler : public OutcomeHandler {
 public:
  explicit CheckingHandler(const Sequence* upstream = nullptr) : upstream_(upstream) {}

  void on_event(const Outcome& event, int64_t position, bool end_of_batch) override {
    if (position != expected_position_ || event.amount != position * 3 ||
        (upstream_ != nullptr && upstream_->get() < position)) {
      errors_.fetch_add(1, std::memory_order_relaxed);
    }
    ++expected_position_;
    batches_ += end_of_batch ? 1 : 0;
    if (slow_) {
      std::this_thread::yield();
    }
  }
  void on_shutdown() override { shut_down_ = true; }

  int64_t seen() const { return expected_position_; }
  int errors() const { return errors_.load(); }
  int64_t batches() const { return batches_; }
  bool shut_down() const { return shut_down_; }
  void make_slow() { slow_ = true; }

 private:
  const Sequence* upstream_;
  int64_t expected_position_ = 0;
  int64_t batches_ = 0;
  std::atomic<int> errors_{0};
  bool slow_ = false;
  bool shut_down_ = false;
};

void produce(OutcomeRing& ring, int64_t total, uint32_t claim_size) {
  int64_t written = 0;
  while (written < total) {
    const auto count = static_cast<uint32_t>(std::min<int64_t>(claim_size, total - written));
    const OutcomeSlots slots = ring.claim(count);
    for (uint32_t index = 0; index < count; ++index) {
      slots[index].amount = static_cast<int64_t>(slots.first + index) * 3;
    }
    written += count;
    ring.publish(static_cast<int64_t>(slots.first) + count - 1);
  }
  ring.halt();
}

class OutcomeRingTest : public ::testing::TestWithParam<WaitKind> {};

TEST_P(OutcomeRingTest, EveryConsumerSeesEveryEntryInOrderAndDependentsRunAfter) {
  WaitStrategy wait(GetParam());
  OutcomeRing ring(64, wait);
  CheckingHandler journal;
  CheckingHandler projector;
  OutcomeConsumer journal_consumer("journal", ring, journal);
  CheckingHandler replier(&journal_consumer.cursor());
  OutcomeConsumer replier_consumer("replier", ring, replier, {&journal_consumer.cursor()});
  OutcomeConsumer projector_consumer("projector", ring, projector);
  for (const OutcomeConsumer* consumer :
       {&journal_consumer, &replier_consumer, &projector_consumer}) {
    ring.add_gating_sequence(&consumer->cursor());
  }
  projector.make_slow();
  journal_consumer.start();
  replier_consumer.start();
  projector_consumer.start();
  // Spinning threads outnumber this machine's cores, so each hand-over may wait for a time
  // slice: spin gets a short run, enough to prove order but not to stall CI.
  const int64_t kTotal = GetParam() == WaitKind::kSpin ? 1'000 : 200'000;
  produce(ring, kTotal, 7);
  journal_consumer.join();
  replier_consumer.join();
  projector_consumer.join();
  for (const CheckingHandler* handler : {&journal, &replier, &projector}) {
    EXPECT_EQ(handler->seen(), kTotal);
    EXPECT_EQ(handler->errors(), 0);
    EXPECT_TRUE(handler->shut_down());
    EXPECT_GE(handler->batches(), 1);
  }
}

INSTANTIATE_TEST_SUITE_P(WaitKinds, OutcomeRingTest,
                         ::testing::Values(WaitKind::kAdaptive, WaitKind::kBlock, WaitKind::kYield,
                                           WaitKind::kSpin),
                         [](const auto& test_info) {
                           return std::string(wait_kind_name(test_info.param));
                         });

TEST(EventRingGatingTest, ProducerNeverOvertakesTheSlowestConsumer) {
  WaitStrategy wait(WaitKind::kBlock);
  OutcomeRing ring(4, wait);
  Sequence consumer_cursor;  // a consumer that has seen nothing yet
  ring.add_gating_sequence(&consumer_cursor);
  ring.claim(4);
  ring.publish(3);
  std::atomic<bool> claimed{false};
  std::thread producer([&] {
    ring.claim(1);  // slot 4 reuses slot 0: must wait for the consumer to pass position 0
    claimed = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(claimed.load());
  consumer_cursor.set(0);
  wait.signal();
  producer.join();
  EXPECT_TRUE(claimed.load());
}

TEST(EventRingGatingTest, HaltWithNothingPublishedStopsConsumers) {
  WaitStrategy wait(WaitKind::kAdaptive);
  OutcomeRing ring(8, wait);
  CheckingHandler handler;
  OutcomeConsumer consumer("idle", ring, handler);
  ring.add_gating_sequence(&consumer.cursor());
  consumer.start();
  ring.halt();
  consumer.join();
  EXPECT_EQ(handler.seen(), 0);
  EXPECT_TRUE(handler.shut_down());
}

TEST(WaitKindTest, NamesRoundTripAndUnknownNamesAreRefused) {
  for (const WaitKind kind :
       {WaitKind::kSpin, WaitKind::kYield, WaitKind::kBlock, WaitKind::kAdaptive}) {
    EXPECT_EQ(parse_wait_kind(wait_kind_name(kind)), kind);
  }
  EXPECT_FALSE(parse_wait_kind("busy").has_value());
  EXPECT_FALSE(parse_wait_kind("").has_value());
}

}  // namespace
}  // namespace tally
