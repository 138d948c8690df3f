#include "engine/journal/segment_preparer.h"

#include "engine/base/background_thread.h"
#include "engine/base/invariant.h"

namespace tally::journal {

SegmentPreparer::~SegmentPreparer() {
  if (thread_.joinable()) {
    thread_.join();
  }
}

Status SegmentPreparer::begin(std::string path, uint64_t bytes) {
  TALLY_ASSERT(!thread_.joinable());
  done_.store(false, std::memory_order_relaxed);
  if (mode_ == Preparation::kInline) {
    status_ = storage_.create_file(path, bytes);
    done_.store(true, std::memory_order_release);
    return status_;
  }
  thread_ = std::thread([this, path = std::move(path), bytes] {
    become_background_thread("segment-prep");
    status_ = storage_.create_prewritten_file(path, bytes);
    done_.store(true, std::memory_order_release);
  });
  return Status::ok();
}

Status SegmentPreparer::finish() {
  if (thread_.joinable()) {
    thread_.join();
  }
  return status_;
}

}  // namespace tally::journal
