#include "engine/pipeline/outcome_consumer.h"

#include <pthread.h>

#include <algorithm>

namespace tally {

OutcomeConsumer::OutcomeConsumer(std::string name, OutcomeRing& ring, OutcomeHandler& handler,
                                 std::vector<const Sequence*> dependencies)
    : OutcomeConsumer(std::move(name), ring, std::vector<OutcomeHandler*>{&handler},
                      std::move(dependencies)) {}

OutcomeConsumer::OutcomeConsumer(std::string name, OutcomeRing& ring,
                                 std::vector<OutcomeHandler*> stages,
                                 std::vector<const Sequence*> dependencies)
    : name_(std::move(name)),
      ring_(ring),
      stages_(std::move(stages)),
      stage_cursors_(stages_.size()),
      dependencies_(std::move(dependencies)) {
  TALLY_ASSERT(!stages_.empty());
  TALLY_ASSERT(std::find(stages_.begin(), stages_.end(), nullptr) == stages_.end());
}

OutcomeConsumer::~OutcomeConsumer() {
  join();
}

void OutcomeConsumer::start() {
  TALLY_ASSERT(!thread_.joinable());
  thread_ = std::thread([this] { run(); });
}

void OutcomeConsumer::join() {
  if (thread_.joinable()) {
    thread_.join();
  }
}

int64_t OutcomeConsumer::available() const {
  int64_t position = ring_.published();
  for (const Sequence* dependency : dependencies_) {
    position = std::min(position, dependency->get());
  }
  return position;
}

int64_t OutcomeConsumer::wait_for(int64_t next) const {
  int64_t position = available();
  if (position >= next) {
    return position;
  }
  // Halted and drained: the producer published its last position before halting, so once we
  // are past it there is nothing more to wait for.
  const auto finished = [&] {
    return ring_.has_failed() || (ring_.is_halted() && next > ring_.published());
  };
  ring_.wait_strategy().wait_until([&] {
    position = available();
    return position >= next || finished();
  });
  return position;
}

void OutcomeConsumer::run() {
  // Named after the consumer (15 characters at most), so top, perf and gdb can tell them apart.
  pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
  int64_t next = cursor_.get() + 1;
  while (true) {
    const int64_t last = wait_for(next);
    if (last < next) {
      break;
    }
    if (!handle(next, last)) {
      ring_.fail();
      break;
    }
    cursor_.set(last);
    ring_.wait_strategy().signal();
    next = last + 1;
  }
  for (OutcomeHandler* stage : stages_) {
    stage->on_shutdown();
  }
}

bool OutcomeConsumer::handle(int64_t first, int64_t last) {
  for (size_t index = 0; index < stages_.size(); ++index) {
    OutcomeHandler& stage = *stages_[index];
    for (int64_t position = first; position <= last; ++position) {
      stage.on_event(ring_.at(position), position, position == last);
    }
    if (stage.has_failed()) {
      return false;  // later stages never see the group: nothing unsynced is answered
    }
    stage_cursors_[index].set(last);
  }
  return true;
}

}  // namespace tally
