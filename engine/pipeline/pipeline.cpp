#include "engine/pipeline/pipeline.h"

#include <pthread.h>

#include <bit>
#include <memory>
#include <stdexcept>

#include "engine/base/validated.h"

namespace tally {

Status PipelineConfig::validate() const {
  if (Status status = ledger.validate(); !status.is_ok()) {
    return status;
  }
  if (ring_capacity < 2 || !std::has_single_bit(ring_capacity)) {
    return Status::invalid_argument("ring_capacity must be a power of two");
  }
  if (ledger.batch_commands_max > ring_capacity / 2) {
    return Status::invalid_argument("ring_capacity must be at least twice max_batch_commands");
  }
  if (ingress.batch_commands_max != ledger.batch_commands_max) {
    return Status::invalid_argument("the ingress and the ledger must agree on max_batch_commands");
  }
  if (ingress.batches_in_flight_max < 1) {
    return Status::invalid_argument("max_batches_in_flight must be at least 1");
  }
  return Status::ok();
}

Pipeline::Pipeline(const PipelineConfig& config)
    : Pipeline(config,
               std::make_unique<Ledger>(validated(config, "pipeline configuration").ledger)) {}

Pipeline::Pipeline(const PipelineConfig& config, std::unique_ptr<Ledger> recovered)
    : config_(validated(config, "pipeline configuration")),
      wait_strategy_(config.wait_kind),
      ledger_(std::move(recovered)),
      ingress_(config.ingress),
      ring_(config.ring_capacity, wait_strategy_),
      processor_(*ledger_, ingress_, ring_) {
  TALLY_ASSERT(ledger_ != nullptr);
  if (ledger_->limits().batch_commands_max != config.ledger.batch_commands_max) {
    throw std::invalid_argument("pipeline configuration: the recovered ledger's limits differ");
  }
}

Pipeline::~Pipeline() {
  stop();
}

OutcomeConsumer& Pipeline::add_consumer(std::string name, OutcomeHandler& handler,
                                        const std::vector<const OutcomeConsumer*>& run_after) {
  return add_consumer(std::move(name), std::vector<OutcomeHandler*>{&handler}, run_after);
}

OutcomeConsumer& Pipeline::add_consumer(std::string name, std::vector<OutcomeHandler*> stages,
                                        const std::vector<const OutcomeConsumer*>& run_after) {
  TALLY_ASSERT(!started_);
  std::vector<const Sequence*> dependencies;
  for (const OutcomeConsumer* upstream : run_after) {
    dependencies.push_back(&upstream->cursor());
  }
  consumers_.push_back(std::make_unique<OutcomeConsumer>(std::move(name), ring_, std::move(stages),
                                                         std::move(dependencies)));
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
  // 1: no more submits (later ones get Unavailable);
  // 2: the processor applies what was accepted, publishes it and halts the ring;
  // 3: each consumer handles every published entry, then returns.
  ingress_.close();
  logic_thread_.join();
  for (auto& consumer : consumers_) {
    consumer->join();
  }
}

}  // namespace tally
