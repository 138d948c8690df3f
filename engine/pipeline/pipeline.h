// Pipeline: the in-process engine, wired in one place, stage by stage.
//
//   1. producers (network threads, in-process callers) → Ingress (bounded MPSC queue)
//   2. BusinessLogicProcessor (one thread, the only writer of account state) → OutcomeRing
//   3. EventConsumers, each on its own thread, in the order they were added; a consumer added
//      with dependencies runs after them on every entry (the replier after the journaler).
//
// The producer is gated by every consumer's cursor, so a slow consumer slows commands only
// once the ring is full; it never corrupts or drops anything.
//
// Threads: configure and add consumers, then start(), from one setup thread. Submit through
// ingress() from any thread. stop() closes the ingress (a later submit gets Unavailable) and
// drains: every accepted batch is applied and handed to every consumer before it returns.
// ledger() may be read only while stopped.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/ledger/ledger.h"
#include "engine/pipeline/business_logic_processor.h"
#include "engine/pipeline/ingress.h"
#include "engine/pipeline/outcome_consumer.h"
#include "engine/pipeline/outcome_ring.h"
#include "engine/pipeline/wait_strategy.h"

namespace tally {

struct PipelineConfig {
  LedgerLimits ledger;
  IngressConfig ingress;
  uint32_t ring_capacity = 1 << 14;  // entries; a power of two, at least twice the largest batch
  WaitKind wait_kind = WaitKind::kAdaptive;

  // Ok if the configuration is consistent, else kInvalidArgument saying what is wrong, for the
  // operator.
  Status validate() const;
};

class Pipeline {
 public:
  // Throws std::invalid_argument if config.validate() finds a problem (start-up only).
  explicit Pipeline(const PipelineConfig& config);
  // Starts from a ledger recovered from snapshots and the journal (its limits are the ones
  // config.ledger must describe).
  Pipeline(const PipelineConfig& config, std::unique_ptr<Ledger> recovered);
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;
  ~Pipeline();

  // Before start(): adds a consumer that sees every entry after those in `run_after`.
  OutcomeConsumer& add_consumer(std::string name, OutcomeHandler& handler,
                                const std::vector<const OutcomeConsumer*>& run_after = {});
  // The same, with several handlers on the consumer's one thread, each handling every group
  // before the next one does (outcome_consumer.h).
  OutcomeConsumer& add_consumer(std::string name, std::vector<OutcomeHandler*> stages,
                                const std::vector<const OutcomeConsumer*>& run_after = {});

  void start();
  void stop();

  Ingress& ingress() { return ingress_; }
  const Ledger& ledger() const { return *ledger_; }
  const BusinessLogicProcessor& processor() const { return processor_; }
  const OutcomeRing& ring() const { return ring_; }

 private:
  PipelineConfig config_;
  WaitStrategy wait_strategy_;
  std::unique_ptr<Ledger> ledger_;
  Ingress ingress_;
  OutcomeRing ring_;
  BusinessLogicProcessor processor_;
  std::vector<std::unique_ptr<OutcomeConsumer>> consumers_;
  std::thread logic_thread_;
  bool started_ = false;
};

}  // namespace tally
