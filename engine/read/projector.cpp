#include "engine/read/projector.h"

#include <algorithm>

#include "engine/base/background_thread.h"
#include "engine/base/invariant.h"
#include "engine/read/checkpoint.h"
#include "engine/wire/wire_encoder.h"

namespace tally::read {

namespace {

// How long an idle projector sleeps before looking at the journal again: short while queries
// wait for a sequence, longer otherwise (a query arriving wakes it at once either way).
constexpr auto kIdleWait = std::chrono::milliseconds(1);
constexpr auto kWaitingWait = std::chrono::microseconds(50);

const protocol::Request& request_of(const QueryJob& job) {
  return *protocol::GetRequest(job.frame.data());
}

}  // namespace

Projector::Projector(journal::Storage& storage, std::string journal_directory,
                     std::function<uint64_t()> durable_sequence, std::unique_ptr<ReadModel> model,
                     AnswerSink& sink, CheckpointPolicy checkpoints)
    : storage_(storage),
      journal_directory_(std::move(journal_directory)),
      durable_sequence_(std::move(durable_sequence)),
      model_(std::move(model)),
      sink_(sink),
      checkpoint_policy_(std::move(checkpoints)) {
  if (!checkpoint_policy_.directory.empty() && model_->state_version() != 0) {
    checkpoint_writer_ = std::make_unique<CheckpointWriter>(storage_, checkpoint_policy_.directory,
                                                            checkpoint_policy_.keep,
                                                            "save-" + std::string(model_->name()));
  }
}

Projector::~Projector() {
  stop();
}

void PreloadTurns::wait_for(uint32_t turn) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return current_ >= turn; });
}

void PreloadTurns::done() {
  {
    const std::lock_guard lock(mutex_);
    ++current_;
  }
  changed_.notify_all();
}

void Projector::preload(PreloadTurns* turns, uint32_t turn) {
  TALLY_ASSERT(!thread_.joinable());
  preloading_ = true;
  preload_turns_ = turns;
  preload_turn_ = turn;
  thread_ = std::thread([this] { run(); });
}

void Projector::start(uint64_t recovered_sequence) {
  {
    // The lock hands these to a preloaded thread, which reads them once released.
    const std::lock_guard lock(start_mutex_);
    TALLY_ASSERT(!start_released_);
    ready_sequence_ = recovered_sequence;
    tail_ = std::make_unique<journal::JournalTail>(storage_, journal_directory_,
                                                   journal::AppendPosition{});
    if (checkpoint_writer_ != nullptr) {
      checkpoint_writer_->start();
    }
    start_released_ = true;
  }
  if (preloading_) {
    start_changed_.notify_all();
  } else {
    thread_ = std::thread([this] { run(); });
  }
}

bool Projector::wait_for_start() {
  std::unique_lock lock(start_mutex_);
  start_changed_.wait(lock, [this] { return start_released_ || stop_before_start_; });
  return start_released_;
}

void Projector::stop() {
  if (!thread_.joinable()) {
    return;
  }
  {
    const std::lock_guard lock(start_mutex_);
    stop_before_start_ = !start_released_;  // a preloaded thread still waiting ends there
  }
  start_changed_.notify_all();
  stop_requested_.store(true, std::memory_order_release);
  queue_.enqueue(nullptr);  // wakes the thread
  thread_.join();
  if (checkpoint_writer_ != nullptr) {
    checkpoint_writer_->stop();  // (after the thread: it may have handed over one more)
  }
}

void Projector::submit(std::unique_ptr<QueryJob> job) {
  queue_.enqueue(std::move(job));
}

ProjectorStatus Projector::status() const {
  return ProjectorStatus{
      .name = std::string(model_->name()),
      .applied_sequence = applied(),
      .lag = 0,  // (the caller knows the durable sequence it reports with)
      .events_applied = events_applied_.load(std::memory_order_relaxed),
      .queries_answered = queries_answered_.load(std::memory_order_relaxed),
      .queries_waiting = queries_waiting_.load(std::memory_order_relaxed),
      .queries_timed_out = queries_timed_out_.load(std::memory_order_relaxed),
      .rebuilds = rebuilds_.load(std::memory_order_relaxed),
      .failed = failed_.load(std::memory_order_acquire),
      .started_from_checkpoint = started_from_checkpoint_.load(std::memory_order_relaxed),
      .checkpoint_sequence = checkpoint_sequence_.load(std::memory_order_relaxed),
      .checkpoints_written = checkpoint_writer_ == nullptr ? 0 : checkpoint_writer_->written()};
}

CheckpointWriter::Failures Projector::checkpoint_failures() const {
  return checkpoint_writer_ == nullptr ? CheckpointWriter::Failures{}
                                       : checkpoint_writer_->failures();
}

void Projector::run() {
  // Commands first: when the machine's cores are all busy, the pipeline's threads get them and
  // the projector falls behind in the journal, to catch up when load eases (its lag says by how
  // much).
  become_background_thread("read-" + std::string(model_->name()));
  if (preloading_) {
    if (preload_turns_ != nullptr) {
      preload_turns_->wait_for(preload_turn_);
    }
    if (checkpoint_writer_ != nullptr) {
      preloaded_ = preload_newest_checkpoint(storage_, checkpoint_policy_.directory, *model_);
    }
    if (preload_turns_ != nullptr) {
      preload_turns_->done();  // (a preload always ends: the next turn always comes)
    }
    if (!wait_for_start()) {
      return;  // stopped before start(): nothing was applied, nothing removed
    }
  }
  if (checkpoint_writer_ != nullptr) {
    start_from_checkpoint();
  }
  last_checkpoint_ = Clock::now();
  started_.store(true, std::memory_order_release);  // checkpoint_skipped_ is written
  while (true) {
    if (rebuild_requested_.exchange(false, std::memory_order_acq_rel)) {
      rebuild();
    }
    const bool stopping = stop_requested_.load(std::memory_order_acquire);
    bool progressed = apply_available();
    checkpoint_if_due();
    const Clock::time_point now = Clock::now();
    progressed = take_queries(now) || progressed;
    answer_waiting(now, stopping && !progressed);
    if (stopping && !progressed) {
      return;
    }
    if (!progressed) {
      std::unique_ptr<QueryJob> job;
      const auto wait = waiting_.empty() ? std::chrono::microseconds(kIdleWait) : kWaitingWait;
      if (queue_.wait_dequeue_timed(job, wait) && job != nullptr) {
        handle(std::move(job), Clock::now());
      }
    }
  }
}

void Projector::start_from_checkpoint() {
  // (Without a preload, preloaded_ holds nothing and this is load_newest_checkpoint.)
  CheckpointLoad load =
      finish_checkpoint_load(storage_, checkpoint_policy_.directory, journal_directory_,
                             ready_sequence_, *model_, preloaded_);
  checkpoint_skipped_ = std::move(load.skipped);
  if (!load.status.is_ok()) {
    // The checkpoints cannot be read at all: the journal can, and is the truth.
    checkpoint_skipped_.push_back(checkpoint_policy_.directory + ": " + load.status.message());
    model_->reset();
    return;
  }
  if (!load.loaded) {
    return;  // none usable: from the journal's first event, as without checkpoints
  }
  const uint64_t sequence = load.covered.sequence;
  tail_ = std::make_unique<journal::JournalTail>(storage_, journal_directory_, load.resume);
  // The model holds every event up to `sequence`, the last of a request: the projector's own
  // record of what went by is as if it had applied them.
  requests_.reset(sequence);
  read_sequence_ = sequence;
  handed_sequence_ = sequence;
  handed_timestamp_ns_ = load.covered.timestamp_ns;
  dropped_before_ = 0;
  applied_sequence_.store(sequence, std::memory_order_release);
  checkpoint_sequence_.store(sequence, std::memory_order_relaxed);
  started_from_checkpoint_.store(true, std::memory_order_relaxed);
}

void Projector::checkpoint_if_due() {
  if (checkpoint_writer_ == nullptr || events_since_checkpoint_ == 0 ||
      failed_.load(std::memory_order_relaxed)) {
    return;
  }
  const Clock::time_point now = Clock::now();
  const bool count_is_up = checkpoint_policy_.every_events != 0 &&
                           events_since_checkpoint_ >= checkpoint_policy_.every_events;
  const bool time_is_up =
      checkpoint_policy_.every_seconds != 0 &&
      now - last_checkpoint_ >= std::chrono::seconds(checkpoint_policy_.every_seconds);
  // Only between requests, every event read handed over: the model then holds exactly the
  // journal up to read_sequence_, the last of a request (a restart resumes after it).
  const bool between_requests =
      !requests_.in_progress() && requests_.complete_through() == read_sequence_;
  if (!(count_is_up || time_is_up) || !between_requests || checkpoint_writer_->busy()) {
    return;
  }
  TALLY_ASSERT(handed_sequence_ == read_sequence_);
  const CheckpointCoverage covered{.sequence = read_sequence_,
                                   .timestamp_ns = handed_timestamp_ns_,
                                   .last_position = tail_->last_position()};
  if (checkpoint_writer_->try_submit(read_sequence_, encode_checkpoint(*model_, covered))) {
    events_since_checkpoint_ = 0;
    last_checkpoint_ = now;
  }
}

void Projector::rebuild() {
  // Until the new model holds what the old one did, answering from it would go back in time.
  ready_sequence_ = std::max(ready_sequence_, applied());
  if (checkpoint_writer_ != nullptr) {
    // A failure leaves old checkpoints behind: a restart may then load one, which is as right
    // as the model was before this rebuild; the rebuild goes on from the journal regardless.
    (void)checkpoint_writer_->discard_all();
  }
  started_from_checkpoint_.store(false, std::memory_order_relaxed);
  checkpoint_sequence_.store(0, std::memory_order_relaxed);
  events_since_checkpoint_ = 0;
  last_checkpoint_ = Clock::now();
  model_->reset();
  requests_.reset();
  read_sequence_ = 0;
  handed_sequence_ = 0;
  handed_timestamp_ns_ = 0;
  dropped_before_ = 0;
  tail_ = std::make_unique<journal::JournalTail>(storage_, journal_directory_,
                                                 journal::AppendPosition{});
  applied_sequence_.store(0, std::memory_order_relaxed);
  events_applied_.store(0, std::memory_order_relaxed);
  rebuilds_.fetch_add(1, std::memory_order_relaxed);
}

bool Projector::apply_available() {
  if (failed_.load(std::memory_order_relaxed)) {
    return false;
  }
  const uint64_t durable = durable_sequence_();
  uint32_t read = 0;
  uint32_t applied_now = 0;
  uint64_t applied_through = 0;  // the end of the last request applied whole, if any
  for (; read < kApplyChunk && failure_.is_ok(); ++read) {
    const Result<const Outcome*> next = tail_->next(durable);
    if (!next.is_ok()) {
      failure_ = next.status();
      break;
    }
    if (*next == nullptr) {
      break;  // nothing more is durable yet
    }
    const Outcome& event = **next;  // the tail's own, until the next call: copied just below
    // The tail hands over each sequence after the last, or reports why it cannot.
    TALLY_ASSERT(event.sequence == read_sequence_ + 1);
    read_sequence_ = event.sequence;
    const PositionedEvent entry{.event = event, .position = tail_->last_position()};
    const std::span<const PositionedEvent> complete = requests_.add(entry);
    for (const PositionedEvent& one : complete) {
      if (Status status = hand_over(one); !status.is_ok()) {
        failure_ = std::move(status);
        break;
      }
      ++applied_now;
    }
    if (failure_.is_ok() && !complete.empty()) {
      applied_through = requests_.complete_through();
    }
  }
  if (!failure_.is_ok()) {
    failed_.store(true, std::memory_order_release);
  }
  events_applied_.fetch_add(applied_now, std::memory_order_relaxed);
  events_since_checkpoint_ += applied_now;
  if (applied_through != 0) {
    TALLY_ASSERT(applied_through > applied());  // sequences only move forward
    applied_sequence_.store(applied_through, std::memory_order_release);
  }
  return read > 0;  // a request still coming in counts as progress: read on at once
}

Status Projector::hand_over(const PositionedEvent& entry) {
  const Outcome& event = entry.event;
  // Gapless but for the events of the requests a crash cut, which are dropped, never applied.
  const uint64_t dropped = requests_.events_dropped() - dropped_before_;
  TALLY_ASSERT(event.sequence == handed_sequence_ + 1 + dropped);
  const auto where = [&entry] {  // only for a refusal: nothing is built on the way
    return "journal segment " + std::to_string(entry.position.segment_index) + " offset " +
           std::to_string(entry.position.offset);
  };
  if (event.timestamp_ns < handed_timestamp_ns_) {
    // Written by this program, event times never go backwards; a journal that says otherwise
    // is not to be trusted (the history model searches its entries by time).
    return Status::corruption("event " + std::to_string(event.sequence) + " is at " +
                              std::to_string(event.timestamp_ns) + " ns, before event " +
                              std::to_string(handed_sequence_) + " at " +
                              std::to_string(handed_timestamp_ns_) + " ns")
        .with_context(where());
  }
  if (Status status = model_->apply(event, entry.position); !status.is_ok()) {
    return status.with_context(where());
  }
  dropped_before_ = requests_.events_dropped();
  handed_sequence_ = event.sequence;
  handed_timestamp_ns_ = event.timestamp_ns;
  return Status::ok();
}

bool Projector::take_queries(Clock::time_point now) {
  bool took = false;
  std::unique_ptr<QueryJob> job;
  // Bounded, so that a flood of queries cannot keep the journal from being followed.
  for (uint32_t taken = 0; taken < kApplyChunk && queue_.try_dequeue(job); ++taken) {
    if (job != nullptr) {
      handle(std::move(job), now);
      took = true;
    }
  }
  return took;
}

void Projector::handle(std::unique_ptr<QueryJob> job, Clock::time_point now) {
  if (failed_.load(std::memory_order_relaxed)) {
    refuse(*job, ResultCode::Unavailable, "this read model stopped: " + failure_.message());
  } else if (needed_by(*job) <= applied() && !rebuild_requested_.load(std::memory_order_acquire)) {
    answer(*job);  // (a query arriving after a rebuild request waits for the rebuilt model)
  } else if (now >= job->deadline) {
    refuse_late(*job, applied());
  } else {
    waiting_.push_back(std::move(job));
    queries_waiting_.store(waiting_.size(), std::memory_order_relaxed);
  }
}

void Projector::answer_waiting(Clock::time_point now, bool stopping) {
  if (waiting_.empty()) {
    return;
  }
  const uint64_t reached = applied();
  std::erase_if(waiting_, [&](const std::unique_ptr<QueryJob>& job) {
    if (needed_by(*job) <= reached) {
      answer(*job);
    } else if (failed_.load(std::memory_order_relaxed)) {
      refuse(*job, ResultCode::Unavailable, "this read model stopped: " + failure_.message());
    } else if (now >= job->deadline) {
      refuse_late(*job, reached);
    } else if (stopping) {
      refuse(*job, ResultCode::Unavailable, "the server is shutting down");
    } else {
      return false;
    }
    return true;
  });
  queries_waiting_.store(waiting_.size(), std::memory_order_relaxed);
}

uint64_t Projector::needed_by(const QueryJob& job) const {
  return std::max<uint64_t>(request_of(job).min_sequence(), ready_sequence_);
}

void Projector::refuse_late(const QueryJob& job, uint64_t reached) {
  if (reached < ready_sequence_) {
    refuse(job, ResultCode::Unavailable,
           "the " + std::string(model_->name()) +
               " read model is still being rebuilt: at sequence " + std::to_string(reached) +
               " of " + std::to_string(ready_sequence_));
    return;
  }
  queries_timed_out_.fetch_add(1, std::memory_order_relaxed);
  refuse(job, ResultCode::Timeout,
         "the read model did not reach min_sequence " +
             std::to_string(request_of(job).min_sequence()) + " in time (it is at " +
             std::to_string(reached) + ")");
}

void Projector::answer(const QueryJob& job) {
  const protocol::Request& request = request_of(job);
  builder_.Clear();
  QueryAnswer answer = model_->answer(request, builder_);
  if (answer.code != ResultCode::Ok) {
    builder_.Clear();
    refuse(job, answer.code, answer.message);
    return;
  }
  const protocol::Uint128 request_id = *request.request_id();
  builder_.Finish(
      protocol::CreateResponse(builder_, &request_id, answer.body_type, answer.body, applied()),
      protocol::RequestIdentifier());  // every message of the schema carries it
  send(job);
}

void Projector::refuse(const QueryJob& job, ResultCode code, std::string_view message) {
  const protocol::Request& request = request_of(job);
  builder_.Clear();
  const auto error = protocol::CreateError(builder_, code, builder_.CreateString(message));
  const protocol::Uint128 request_id = *request.request_id();
  builder_.Finish(protocol::CreateResponse(builder_, &request_id, protocol::ResponseBody::Error,
                                           error.Union(), applied()),
                  protocol::RequestIdentifier());
  send(job);
}

void Projector::send(const QueryJob& job) {
  queries_answered_.fetch_add(1, std::memory_order_relaxed);
  sink_.deliver(job.origin, builder_.GetBufferSpan());
}

}  // namespace tally::read
