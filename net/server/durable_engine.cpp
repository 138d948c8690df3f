#include "net/server/durable_engine.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "engine/base/invariant.h"
#include "engine/journal/recovery.h"
#include "engine/journal/snapshot.h"

namespace tally::net {
namespace {

Status make_directory(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::from_errno(errno, "mkdir", path);
  }
  return Status::ok();
}

// A second ledger in the same state, for the snapshotter to replay into: the snapshot codec
// is the one exact copy of a ledger we have, and it runs once, at start-up.
Result<std::unique_ptr<Ledger>> copy_of(const Ledger& ledger) {
  auto copy = std::make_unique<Ledger>(ledger.limits());
  if (Status status = journal::decode_snapshot(journal::encode_snapshot(ledger), *copy);
      !status.is_ok()) {
    return status;
  }
  return copy;
}

int64_t wall_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

SubscriptionLimits subscription_limits_of(const ServerConfig& config) {
  SubscriptionLimits limits;
  limits.subscriptions_max = config.subscriptions_max;
  limits.credit_max = config.subscription_credit_max;
  return limits;
}

}  // namespace

DurableEngine::DurableEngine(const ServerConfig& config, ResponseRouter& router,
                             ServerCounters& counters)
    : config_(config),
      router_(router),
      counters_(counters),
      read_side_(router, std::chrono::milliseconds(config.read_wait_ms),
                 subscription_limits_of(config)) {}

DurableEngine::~DurableEngine() {
  stop();
  // A start() that failed may have started (or preloaded) the read side: its projectors stop
  // here, before the journaler they call is destroyed.
  read_side_.stop();
}

Status DurableEngine::prepare_directories(StartupReport& report) {
  if (Status status = make_directory(config_.data_directory); !status.is_ok()) {
    return status;
  }
  // Before anything in it is read or written: a second server must not even recover.
  if (Status status = lock_.acquire(config_.data_directory, journal::LockMode::kExclusive);
      !status.is_ok()) {
    report.directory_in_use = status.code() == StatusCode::kAlreadyExists;
    return status;
  }
  for (const std::string& path : {config_.journal_directory(), config_.snapshot_directory(),
                                  config_.checkpoint_directory()}) {
    if (Status status = make_directory(path); !status.is_ok()) {
      return status;
    }
  }
  return Status::ok();
}

Result<DurableEngine::Recovered> DurableEngine::recover(StartupReport& report) {
  journal::LedgerRecovery recovery = journal::recover_ledger(
      storage_, config_.journal_directory(), config_.snapshot_directory(), config_.pipeline.ledger);
  report.snapshot_sequence = recovery.snapshot_sequence;
  report.snapshots_skipped = recovery.snapshots_skipped;
  if (recovery.ledger == nullptr) {
    TALLY_ASSERT(!recovery.status.is_ok());
    return recovery.status;
  }
  report.events_replayed = recovery.journal.events_replayed;
  report.last_sequence = std::max(recovery.journal.last_sequence, recovery.snapshot_sequence);
  report.accounts = recovery.ledger->accounts().size();
  report.synced_floor = recovery.journal.synced_floor;
  report.synced_floor_source = recovery.journal.synced_floor_source;
  report.clean_shutdown = recovery.journal.clean_shutdown;
  report.cut = recovery.journal.cut;
  report.warnings = recovery.journal.warnings;
  if (!recovery.status.is_ok()) {
    return recovery.status;
  }
  return Recovered{.ledger = std::move(recovery.ledger),
                   .position = recovery.journal.append_position};
}

Status DurableEngine::start(StartupReport& report) {
  const auto started = std::chrono::steady_clock::now();
  if (Status status = prepare_directories(report); !status.is_ok()) {
    return status;
  }
  const read::CheckpointPolicy checkpoints{
      .directory = config_.checkpoints_kept == 0 ? "" : config_.checkpoint_directory(),
      .every_events = config_.checkpoint_every_events,
      .every_seconds = config_.checkpoint_every_seconds,
      .keep = config_.checkpoints_kept};
  if (Status status = read_side_.prepare_checkpoints(checkpoints); !status.is_ok()) {
    return status;
  }
  // The read models decode their checkpoints on the core recovery leaves idle; none is accepted
  // against the journal, or removed, before recovery's verdict (read_side.h, checkpoint.h).
  read_side_.preload(storage_, config_.journal_directory(), checkpoints);
  Result<Recovered> recovered = recover(report);
  if (!recovered.is_ok()) {
    return recovered.status();
  }
  std::unique_ptr<Ledger> ledger = std::move(recovered->ledger);
  const journal::AppendPosition position = recovered->position;
  const uint64_t recovered_sequence = ledger->replayed_complete_sequence();
  writer_ = std::make_unique<journal::JournalWriter>(
      storage_, journal::JournalWriterConfig{.directory = config_.journal_directory(),
                                             .segment_bytes = config_.segment_bytes,
                                             .prepare_in_background = true});
  if (Status status = writer_->open(position, wall_clock_ns()); !status.is_ok()) {
    return status;
  }
  journaler_ = std::make_unique<journal::Journaler>(
      *writer_, config_.sync_policy, std::chrono::microseconds(config_.sync_interval_us));
  // The read models follow the recovered journal from here (what the writer opened on is
  // durable), while the mirror below is copied: that copy is a third of a second.
  read_side_.start([journaler = journaler_.get()] { return journaler->durable_sequence(); },
                   recovered_sequence);
  Result<std::unique_ptr<Ledger>> mirror = copy_of(*ledger);
  if (!mirror.is_ok()) {
    return mirror.status();
  }
  snapshotter_ = std::make_unique<journal::Snapshotter>(
      storage_,
      journal::SnapshotterConfig{.journal_directory = config_.journal_directory(),
                                 .snapshot_directory = config_.snapshot_directory(),
                                 .every_events = config_.snapshot_every_events,
                                 .every_seconds = config_.snapshot_every_seconds,
                                 .keep = config_.snapshots_kept},
      *journaler_, std::move(*mirror), position);
  pipeline_ = std::make_unique<Pipeline>(config_.pipeline, std::move(ledger));
  journal_timer_ = std::make_unique<BatchEndTimer>(*journaler_, counters_.journal_sync);
  replier_ = std::make_unique<Replier>(router_, counters_, pipeline_->processor().traces());
  // One thread journals a group, syncs it and answers it: the answers leave as soon as the
  // sync returns, without waking a replier thread (docs/decisions.md).
  static_assert(kJournalStage == 0);
  answering_consumer_ =
      &pipeline_->add_consumer("journaler", {journal_timer_.get(), replier_.get()});
  pipeline_->start();
  snapshotter_->start();
  running_ = true;
  report.duration = std::chrono::steady_clock::now() - started;
  return Status::ok();
}

void DurableEngine::stop() {
  if (!running_) {
    return;
  }
  running_ = false;
  pipeline_->stop();
  snapshotter_->stop();
  read_side_.stop();
}

Status DurableEngine::journal_failure() const {
  return journaler_ == nullptr ? Status::ok() : journaler_->failure();
}

Status DurableEngine::snapshot_failure() const {
  return snapshotter_ == nullptr ? Status::ok() : snapshotter_->failure();
}

void DurableEngine::fill_stats(ServerStats& stats) const {
  if (pipeline_ == nullptr) {
    return;
  }
  // Positions first: one read after `published` could have passed it.
  const int64_t journaled = answering_consumer_->stage_cursor(kJournalStage).get();
  const int64_t answered = replier_->answered_position();
  const int64_t published = pipeline_->ring().published();
  stats.ingress_depth = static_cast<uint32_t>(pipeline_->ingress().depth());
  stats.journal_lag = static_cast<uint64_t>(std::max<int64_t>(published - journaled, 0));
  stats.ring_backlog = static_cast<uint64_t>(std::max<int64_t>(published - answered, 0));
  stats.durable_sequence = journaler_->durable_sequence();
  stats.journal_bytes = journaler_->durable_bytes();
  stats.journal_syncs = journaler_->syncs();
  stats.journal_failed = failed();
  const SubscriptionCounters subscriptions = read_side_.subscriptions().counters();
  stats.subscriptions_open = subscriptions.open;
  stats.subscription_events_sent = subscriptions.events_sent;
  stats.subscription_batches_sent = subscriptions.batches_sent;
  stats.snapshots_written = snapshotter_->snapshots_written();
  const BusinessLogicProcessor& processor = pipeline_->processor();
  stats.stage_latencies.push_back({"ingress_wait", processor.ingress_wait().summarize()});
  stats.stage_latencies.push_back({"logic_apply", processor.logic_apply().summarize()});
}

}  // namespace tally::net
