#include "engine/journal/snapshotter.h"

#include <chrono>

#include "engine/base/background_thread.h"
#include "engine/journal/snapshot.h"

namespace tally::journal {

Snapshotter::Snapshotter(Storage& storage, SnapshotterConfig config, const Journaler& journaler,
                         std::unique_ptr<Ledger> mirror, const AppendPosition& from)
    : storage_(storage),
      config_(std::move(config)),
      journaler_(journaler),
      mirror_(std::move(mirror)),
      tail_(storage, config_.journal_directory, from) {}

Snapshotter::~Snapshotter() {
  stop();
}

void Snapshotter::start() {
  thread_ = std::thread([this] { run(); });
}

void Snapshotter::stop() {
  if (thread_.joinable()) {
    stop_requested_.store(true, std::memory_order_release);
    thread_.join();
  }
}

void Snapshotter::run() {
  become_background_thread("snapshotter");
  while (catch_up()) {
    if (stop_requested_.load(std::memory_order_acquire)) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

bool Snapshotter::catch_up() {
  while (failure_.is_ok()) {
    // Acquire: the journaler synced these bytes before it published their sequence.
    const Result<const Outcome*> next = tail_.next(journaler_.durable_sequence());
    if (!next.is_ok()) {
      failure_ = next.status().with_context("snapshotter");
      return false;
    }
    const Outcome* event = *next;
    if (event == nullptr) {
      failure_ = take_snapshot_if_due();  // caught up: the time may still be up
      return failure_.is_ok();
    }
    if (Status replayed = mirror_->replay(*event); !replayed.is_ok()) {
      failure_ = replayed.with_context("snapshotter");
      return false;
    }
    ++events_since_snapshot_;
    mirrored_sequence_.store(event->sequence, std::memory_order_relaxed);
    failure_ = take_snapshot_if_due();
  }
  return false;
}

Status Snapshotter::take_snapshot_if_due() {
  const auto now = std::chrono::steady_clock::now();
  const bool time_is_up = config_.every_seconds != 0 && events_since_snapshot_ > 0 &&
                          now - last_snapshot_ >= std::chrono::seconds(config_.every_seconds);
  const bool count_is_up =
      config_.every_events != 0 && events_since_snapshot_ >= config_.every_events;
  const bool due = count_is_up || time_is_up;
  if (!due || mirror_->replay_in_progress()) {
    return Status::ok();
  }
  if (Status status = write_snapshot(storage_, config_.snapshot_directory, *mirror_, config_.keep);
      !status.is_ok()) {
    return status;
  }
  events_since_snapshot_ = 0;
  last_snapshot_ = now;
  snapshots_written_.fetch_add(1, std::memory_order_relaxed);
  return Status::ok();
}

}  // namespace tally::journal
