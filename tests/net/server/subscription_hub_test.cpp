// SubscriptionHub on its own (net/server/subscription_hub.h): a real journal on disk, written
// while the hub reads it, and subscriptions that take their batches at different paces, with
// lanes small enough that they fall behind, share the trail lane, read on their own and join
// the head. Whatever the path, each gets every sequence once, in order, in gapless batches.
#include "net/server/subscription_hub.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/journal/journal_writer.h"
#include "engine/journal/posix_storage.h"
#include "net/protocol/frame.h"
#include "support/ledger_harness.h"

namespace tally::net {
namespace {

using namespace std::chrono_literals;

class QuietSink final : public ResponseSink {
 public:
  void on_responses_ready() override {}
  void on_overflow(Overflow) override {}
};

// One subscription as its client sees it: what it expects next, and how often it reads.
struct Follower {
  uint64_t token = 0;
  Id128 id;
  uint64_t next_sequence = 1;
  uint64_t events = 0;
  uint32_t credit_left = 0;
  uint32_t credit_granted = 0;  // the credit it tops up to when half is used
  int pace = 1;                 // reads its batches every pace-th round
  bool paused = false;          // reads nothing, and is not waited for
  EventFilter filter;
};

constexpr uint32_t kCredit = 64;
constexpr int kJournalEvents = 6'000;

class SubscriptionHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/subscription-hub-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    directory_ = pattern;
    std::filesystem::create_directories(directory_ + "/journal");
    writer_ = std::make_unique<journal::JournalWriter>(
        storage_, journal::JournalWriterConfig{.directory = directory_ + "/journal",
                                               .segment_bytes = 256 * 1024});
    ASSERT_TRUE(writer_->open({}, 0).is_ok());
    events_ = tally::testing::make_deposit_events(kJournalEvents);
  }
  void TearDown() override {
    hub_.stop();
    std::filesystem::remove_all(directory_);
  }
  void start() {
    hub_.start(storage_, directory_ + "/journal",
               [this] { return durable_.load(std::memory_order_acquire); });
  }
  // Appends (and syncs) the next `count` events: they become durable.
  void append(int count) {
    for (int index = 0; index < count && written_ < events_.size(); ++index) {
      ASSERT_TRUE(writer_->append(events_[written_++]).is_ok());
    }
    ASSERT_TRUE(writer_->sync().is_ok());
    durable_.store(written_, std::memory_order_release);
  }
  Follower& follow(uint64_t from_sequence, int pace, bool from_durable_end = false,
                   EventFilter filter = {}, uint32_t credit = kCredit) {
    Follower& follower = followers_.emplace_back();
    follower.token = *router_.attach(std::make_shared<QuietSink>());
    follower.id = Id128{.low = followers_.size(), .high = 0x5u};
    follower.next_sequence = from_durable_end ? durable_.load() + 1 : from_sequence;
    follower.credit_left = credit;
    follower.credit_granted = credit;
    follower.pace = pace;
    follower.filter = filter;
    SubscriptionRequest request;
    request.kind = SubscriptionRequest::Kind::kSubscribe;
    request.token = follower.token;
    request.request_id = follower.id;
    request.subscription = follower.id;
    request.from_sequence = from_sequence;
    request.from_durable_end = from_durable_end;
    request.credit = credit;
    request.filter = filter;
    EXPECT_TRUE(hub_.submit(request));
    return follower;
  }
  // Takes what the hub sent `follower`, checks every batch and grants credit back.
  void read(Follower& follower) {
    std::vector<uint8_t> out;
    router_.take(follower.token, out);
    size_t offset = 0;
    while (offset + kFrameHeaderBytes <= out.size()) {
      const uint32_t length = read_frame_length(out.data() + offset);
      const uint8_t* message = out.data() + offset + kFrameHeaderBytes;
      offset += kFrameHeaderBytes + length;
      flatbuffers::Verifier verifier(message, length);
      ASSERT_TRUE(verifier.VerifyBuffer<protocol::Response>(protocol::RequestIdentifier()));
      const protocol::EventBatch* batch =
          flatbuffers::GetRoot<protocol::Response>(message)->body_as_EventBatch();
      ASSERT_NE(batch, nullptr) << "the subscription ended or was refused";
      ASSERT_EQ(batch->first_sequence(), follower.next_sequence) << "a gap or an overlap";
      ASSERT_GE(batch->last_sequence(), batch->first_sequence());
      uint64_t expected = batch->first_sequence();
      uint64_t count = 0;
      if (batch->events() != nullptr) {
        const auto* list = flatbuffers::GetRoot<protocol::EventList>(batch->events()->data());
        for (const protocol::Event* event : *list->events()) {
          if (follower.filter.everything()) {
            ASSERT_EQ(event->sequence(), expected) << "an event missing or repeated";
          } else {
            ASSERT_GE(event->sequence(), expected) << "an event repeated";
            ASSERT_LE(event->sequence(), batch->last_sequence());
            ASSERT_NE(follower.filter.type_mask & (1u << static_cast<uint32_t>(event->type())), 0u);
          }
          expected = event->sequence() + 1;
          ++count;
        }
      }
      if (follower.filter.everything()) {
        // Every sequence of this journal is an event: a batch holds all of its range.
        ASSERT_EQ(expected, batch->last_sequence() + 1);
      }
      ASSERT_LE(count, follower.credit_left);
      follower.credit_left -= static_cast<uint32_t>(count);
      follower.events += count;
      follower.next_sequence = batch->last_sequence() + 1;
    }
    ASSERT_EQ(offset, out.size());
    if (follower.credit_left < follower.credit_granted / 2) {
      SubscriptionRequest credit;
      credit.kind = SubscriptionRequest::Kind::kCredit;
      credit.token = follower.token;
      credit.subscription = follower.id;
      credit.credit = follower.credit_granted - follower.credit_left;
      follower.credit_left = follower.credit_granted;
      EXPECT_TRUE(hub_.submit(credit));
    }
  }
  // Rounds of reading (each follower at its pace), appending `per_round` events a round,
  // until every follower not paused has the whole journal (false after 60 s).
  bool run_until_everyone_has_everything(int per_round) {
    const auto give_up = std::chrono::steady_clock::now() + 60s;
    // Every subscription taken first: one from the durable end starts where it was then.
    while (hub_.counters().open < followers_.size() && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(1ms);
    }
    for (int round = 1; std::chrono::steady_clock::now() < give_up; ++round) {
      append(per_round);
      bool everyone = written_ == events_.size();
      for (Follower& follower : followers_) {
        if (follower.paused) {
          continue;
        }
        if (round % follower.pace == 0) {
          read(follower);
          if (::testing::Test::HasFatalFailure()) {
            return false;
          }
        }
        everyone = everyone && follower.next_sequence > events_.size();
      }
      if (everyone) {
        return true;
      }
      std::this_thread::sleep_for(200us);
    }
    return false;
  }

  std::string directory_;
  journal::PosixStorage storage_;
  std::unique_ptr<journal::JournalWriter> writer_;
  std::vector<Outcome> events_;
  size_t written_ = 0;
  std::atomic<uint64_t> durable_{0};
  MemoryBudget budget_{1ULL << 30};
  ResponseRouter router_{64, 64 << 20, budget_};
  // Lanes of 64 events and batches of at most 16: every path is taken within a few thousand.
  SubscriptionHub hub_{router_, SubscriptionLimits{.subscriptions_max = 64,
                                                   .credit_max = 1u << 20,
                                                   .batch_events_max = 16,
                                                   .batch_bytes_max = 256 * 1024,
                                                   .window_events = 64}};
  std::deque<Follower> followers_;  // stable references
};

TEST_F(SubscriptionHubTest, EverySubscriptionGetsEverySequenceOnceWhateverItsPace) {
  append(kJournalEvents / 2);
  start();
  follow(1, 1);
  follow(1, 1);
  follow(1, 5);  // falls behind the others
  follow(1'500, 1);
  follow(2'990, 3);
  follow(0, 1, /*from_durable_end=*/true);
  follow(0, 7, /*from_durable_end=*/true);  // live, but slow: falls behind the window
  ASSERT_TRUE(run_until_everyone_has_everything(20));
  for (const Follower& follower : followers_) {
    EXPECT_EQ(follower.next_sequence, static_cast<uint64_t>(kJournalEvents) + 1);
  }
}

// One subscription of the trail stops reading: the others wait for it a while, then go on
// without it; when it reads again it gets everything, through a reader of its own.
TEST_F(SubscriptionHubTest, ATrailSubscriptionThatStopsReadingIsLeftBehindAndCatchesUpLater) {
  append(kJournalEvents);
  start();
  follow(1, 1);
  follow(1, 1);
  Follower& stalled = follow(1, 1);
  stalled.paused = true;
  ASSERT_TRUE(run_until_everyone_has_everything(0));  // the others did not wait for ever
  stalled.paused = false;
  ASSERT_TRUE(run_until_everyone_has_everything(0));
  EXPECT_EQ(stalled.events, static_cast<uint64_t>(kJournalEvents));
}

// A trail member whose client stops reading with credit to spare: the hub fills its
// connection (over kUnwrittenBytesMax unwritten) and stops sending to it. The trail must let it
// go, not wait for it a quarter of a second every half lane for as long as it stays stalled.
TEST_F(SubscriptionHubTest, ATrailMemberWhoseConnectionIsFullDoesNotHoldTheOthersBack) {
  events_ = tally::testing::make_deposit_events(4 * kJournalEvents);
  append(4 * kJournalEvents);
  start();
  follow(1, 1);
  follow(1, 1);
  Follower& stalled = follow(1, 1, false, {}, /*credit=*/1u << 20);
  stalled.paused = true;
  // 24,000 events: half a lane (32) every 250 ms would take three minutes.
  ASSERT_TRUE(run_until_everyone_has_everything(0));
  EXPECT_GT(router_.unwritten_bytes(stalled.token).value_or(0),
            SubscriptionHub::kUnwrittenBytesMax);
  stalled.paused = false;
  ASSERT_TRUE(run_until_everyone_has_everything(0));
  EXPECT_EQ(stalled.events, 4u * kJournalEvents);
}

// A subscription whose filter matches only the first event stands at the start until a
// progress batch moves it; the trail lane does not wait for it, and it stays in the lane.
TEST_F(SubscriptionHubTest, AFilterThatMatchesLittleDoesNotHoldTheTrailBack) {
  append(kJournalEvents);
  start();
  follow(1, 1);
  follow(1, 1);
  EventFilter openings;
  openings.type_mask = 1u << static_cast<uint32_t>(EventType::AccountOpened);
  Follower& sparse = follow(1, 1, false, openings);
  ASSERT_TRUE(run_until_everyone_has_everything(0));
  EXPECT_EQ(sparse.events, 1u);
  // The journal read once, by the trail: had the filtered one been left behind, it would have
  // read it again on its own (11,840 events read when the lane waited for its next sequence).
  EXPECT_LT(hub_.counters().events_read, 3u * kJournalEvents / 2);
}

TEST_F(SubscriptionHubTest, SubscriptionsCatchingUpTogetherShareOneReadingOfTheJournal) {
  append(kJournalEvents);
  start();
  constexpr int kFollowers = 6;
  for (int index = 0; index < kFollowers; ++index) {
    follow(1, 1);
  }
  ASSERT_TRUE(run_until_everyone_has_everything(0));
  for (const Follower& follower : followers_) {
    EXPECT_EQ(follower.events, static_cast<uint64_t>(kJournalEvents));
  }
  // One reading each would be kFollowers times the journal.
  const uint64_t events_read = hub_.counters().events_read;
  EXPECT_GE(events_read, static_cast<uint64_t>(kJournalEvents));
  EXPECT_LT(events_read, 2u * kJournalEvents);
}

}  // namespace
}  // namespace tally::net
