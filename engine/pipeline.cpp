#include "engine/pipeline.h"

#include <pthread.h>

namespace tally {

Pipeline::Pipeline(const PipelineConfig& config)
    : config_(config),
      wait_strategy_(config.wait_kind),
      ledger_(config.ledger),
      ingress_(config.ingress),
      ring_(config.ring_capacity, wait_strategy_),
      processor_(ledger_, ingress_, ring_) {}

Pipeline::~Pipeline() {
  stop();
}

EventConsumer& Pipeline::add_consumer(std::string name, EventHandler& handler,
                                      const std::vector<const EventConsumer*>& run_after) {
  TALLY_ASSERT(!started_);
  std::vector<const Sequence*> dependencies;
  for (const EventConsumer* upstream : run_after) {
    dependencies.push_back(&upstream->cursor());
  }
  consumers_.push_back(
      std::make_unique<EventConsumer>(std::move(name), ring_, handler, std::move(dependencies)));
  // Every consumer gates the producer; gating on all (not only the last of each chain) keeps
  // the rule simple and costs one extra load per claim that must wait.
  ring_.add_gating_sequence(&consumers_.back()->cursor());
  return *consumers_.back();
}

void Pipeline::start() {
  TALLY_ASSERT(!started_);
  started_ = true;
  // 3. consumers first, so that they are waiting when the first events arrive.
  for (auto& consumer : consumers_) {
    consumer->start();
  }
  // 2. the business-logic thread.
  logic_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "tally-logic");
    processor_.run();
  });
}

void Pipeline::stop() {
  if (!started_) {
    return;
  }
  started_ = false;
  // 1 → 2: the processor applies what is queued, publishes it and halts the ring;
  // 3: each consumer handles every published entry, then returns.
  processor_.request_stop();
  logic_thread_.join();
  for (auto& consumer : consumers_) {
    consumer->join();
  }
}

}  // namespace tally
