#include "engine/pipeline/outcome_consumer.h"

#include <pthread.h>

#include <algorithm>

namespace tally {

OutcomeConsumer::OutcomeConsumer(std::string name, OutcomeRing& ring, OutcomeHandler& handler,
                                 std::vector<const Sequence*> dependencies)
    : name_(std::move(name)),
      ring_(ring),
      handler_(handler),
      dependencies_(std::move(dependencies)) {}

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
    for (int64_t position = next; position <= last; ++position) {
      handler_.on_event(ring_.at(position), position, position == last);
    }
    if (handler_.has_failed()) {
      ring_.fail();
      break;
    }
    cursor_.set(last);
    ring_.wait_strategy().signal();
    next = last + 1;
  }
  handler_.on_shutdown();
}

}  // namespace tally
