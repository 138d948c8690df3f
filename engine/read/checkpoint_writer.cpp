#include "engine/read/checkpoint_writer.h"

#include "engine/base/background_thread.h"
#include "engine/read/checkpoint.h"

namespace tally::read {

CheckpointWriter::CheckpointWriter(journal::Storage& storage, std::string directory, uint32_t keep,
                                   std::string thread_name)
    : storage_(storage),
      directory_(std::move(directory)),
      keep_(keep),
      thread_name_(std::move(thread_name)) {}

CheckpointWriter::~CheckpointWriter() {
  stop();
}

void CheckpointWriter::start() {
  thread_ = std::thread([this] { run(); });
}

void CheckpointWriter::stop() {
  if (!thread_.joinable()) {
    return;
  }
  {
    const std::lock_guard lock(mutex_);
    stop_requested_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

bool CheckpointWriter::try_submit(uint64_t sequence, std::vector<uint8_t> bytes) {
  {
    const std::lock_guard lock(mutex_);
    if (writing_ || !pending_bytes_.empty() || stop_requested_) {
      return false;
    }
    pending_sequence_ = sequence;
    pending_bytes_ = std::move(bytes);
  }
  changed_.notify_all();
  return true;
}

Status CheckpointWriter::discard_all() {
  std::unique_lock lock(mutex_);
  // Dropping one not yet begun is enough; one being written must end before its file goes.
  pending_bytes_.clear();
  changed_.wait(lock, [this] { return !writing_; });
  return remove_checkpoints(storage_, directory_);
}

bool CheckpointWriter::busy() const {
  const std::lock_guard lock(mutex_);
  return writing_ || !pending_bytes_.empty();
}

CheckpointWriter::Failures CheckpointWriter::failures() const {
  const std::lock_guard lock(mutex_);
  return failures_;
}

void CheckpointWriter::run() {
  become_background_thread(thread_name_);
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return stop_requested_ || !pending_bytes_.empty(); });
    if (pending_bytes_.empty()) {
      return;  // stopping, nothing in hand
    }
    const uint64_t sequence = pending_sequence_;
    const std::vector<uint8_t> bytes = std::move(pending_bytes_);
    pending_bytes_.clear();
    writing_ = true;
    lock.unlock();
    write(sequence, bytes);
    lock.lock();
    writing_ = false;
    changed_.notify_all();
  }
}

void CheckpointWriter::write(uint64_t sequence, const std::vector<uint8_t>& bytes) {
  Status status = write_checkpoint(storage_, directory_, sequence, bytes, keep_);
  if (status.is_ok()) {
    written_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const std::lock_guard lock(mutex_);
  ++failures_.count;
  failures_.last = std::move(status);
}

}  // namespace tally::read
