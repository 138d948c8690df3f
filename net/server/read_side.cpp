#include "net/server/read_side.h"

#include <sys/stat.h>

#include <cerrno>

#include "engine/base/invariant.h"
#include "engine/read/account_model.h"
#include "engine/read/history_model.h"
#include "net/protocol/frame.h"

namespace tally::net {

void ReadSide::RouterSink::deliver(uint64_t origin, std::span<const uint8_t> response) {
  framed_.clear();
  append_frame(framed_, response);
  router_.deliver(origin, framed_, 1);
}

namespace {

// The read models, in the order of their projectors; a checkpoint directory each.
constexpr std::string_view kModelNames[] = {"accounts", "history"};

read::CheckpointPolicy checkpoints_of(const read::CheckpointPolicy& checkpoints,
                                      std::string_view model) {
  read::CheckpointPolicy policy = checkpoints;
  if (!policy.directory.empty()) {
    policy.directory.push_back('/');
    policy.directory.append(model.data(), model.size());
  }
  return policy;
}

}  // namespace

Status ReadSide::prepare_checkpoints(const read::CheckpointPolicy& checkpoints) {
  if (checkpoints.directory.empty()) {
    return Status::ok();
  }
  for (const std::string_view model : kModelNames) {
    const std::string path = checkpoints_of(checkpoints, model).directory;
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
      return Status::from_errno(errno, "mkdir", path);
    }
  }
  return Status::ok();
}

ReadSide::ReadSide(ResponseRouter& router, std::chrono::milliseconds read_wait,
                   SubscriptionLimits subscription_limits)
    : router_(router), read_wait_(read_wait), subscriptions_(router, subscription_limits) {}

ReadSide::~ReadSide() {
  stop();
}

void ReadSide::preload(journal::Storage& storage, const std::string& journal_directory,
                       const read::CheckpointPolicy& checkpoints) {
  TALLY_ASSERT(projectors_.empty());
  storage_ = &storage;
  journal_directory_ = journal_directory;
  std::vector<std::unique_ptr<read::ReadModel>> models;
  models.push_back(std::make_unique<read::AccountModel>());
  models.push_back(std::make_unique<read::HistoryModel>(storage, journal_directory));
  for (std::unique_ptr<read::ReadModel>& model : models) {
    TALLY_ASSERT(model->name() == kModelNames[projectors_.size()]);
    read::CheckpointPolicy policy = checkpoints_of(checkpoints, model->name());
    sinks_.push_back(std::make_unique<RouterSink>(router_));
    // durable_sequence_ is set by start(), before the projectors are let go on to call it.
    projectors_.push_back(std::make_unique<read::Projector>(
        storage, journal_directory, [this] { return durable_sequence_(); }, std::move(model),
        *sinks_.back(), std::move(policy)));
    projectors_.back()->preload(&preload_turns_, static_cast<uint32_t>(projectors_.size() - 1));
  }
}

void ReadSide::start(std::function<uint64_t()> durable_sequence, uint64_t recovered_sequence) {
  TALLY_ASSERT(!projectors_.empty());
  durable_sequence_ = std::move(durable_sequence);
  for (std::unique_ptr<read::Projector>& projector : projectors_) {
    projector->start(recovered_sequence);
  }
  subscriptions_.start(*storage_, journal_directory_, [this] { return durable_sequence_(); });
  const std::unique_lock lock(running_mutex_);
  running_ = true;
}

std::vector<std::string> ReadSide::failures() const {
  std::vector<std::string> failures;
  for (const std::unique_ptr<read::Projector>& projector : projectors_) {
    const ProjectorStatus status = projector->status();
    if (status.failed) {  // (acquire: failure() was written before `failed`)
      failures.push_back(status.name + ": " + projector->failure().message());
    }
  }
  return failures;
}

std::vector<ReadSide::CheckpointReport> ReadSide::checkpoints() const {
  std::vector<CheckpointReport> reports;
  for (const std::unique_ptr<read::Projector>& projector : projectors_) {
    // started() first (acquire): what the projector skipped was written before it said so.
    const bool started = projector->started();
    ProjectorStatus status = projector->status();
    CheckpointReport report;
    report.model = std::move(status.name);
    report.started = started;
    report.failures = projector->checkpoint_failures();
    if (started) {
      report.started_from_checkpoint = status.started_from_checkpoint;
      report.checkpoint_sequence = status.checkpoint_sequence;
      report.skipped = projector->checkpoint_skipped();
    }
    reports.push_back(std::move(report));
  }
  return reports;
}

void ReadSide::stop() {
  {
    const std::unique_lock lock(running_mutex_);
    running_ = false;
  }
  subscriptions_.stop();
  for (std::unique_ptr<read::Projector>& projector : projectors_) {
    projector->stop();
  }
}

bool ReadSide::answers(protocol::RequestBody type) const {
  for (const std::unique_ptr<read::Projector>& projector : projectors_) {
    if (projector->answers(type)) {
      return true;
    }
  }
  return false;
}

bool ReadSide::submit(protocol::RequestBody type, uint64_t origin, std::span<const uint8_t> frame) {
  const std::shared_lock lock(running_mutex_);
  if (!running_) {
    return false;
  }
  for (std::unique_ptr<read::Projector>& projector : projectors_) {
    if (projector->answers(type)) {
      auto job = std::make_unique<read::QueryJob>();
      job->origin = origin;
      job->deadline = std::chrono::steady_clock::now() + read_wait_;
      job->frame.assign(frame.begin(), frame.end());
      projector->submit(std::move(job));
      return true;
    }
  }
  return false;
}

ProjectionReport ReadSide::report() const {
  ProjectionReport report;
  // Projectors first: a durable sequence read after them is never below what they applied.
  for (const std::unique_ptr<read::Projector>& projector : projectors_) {
    report.projectors.push_back(projector->status());
  }
  report.durable_sequence = durable_sequence_ ? durable_sequence_() : 0;
  for (ProjectorStatus& projector : report.projectors) {
    // A projector applies only durable events, and the durable sequence only grows.
    TALLY_ASSERT(projector.applied_sequence <= report.durable_sequence);
    projector.lag = report.durable_sequence - projector.applied_sequence;
  }
  return report;
}

void ReadSide::rebuild() {
  for (std::unique_ptr<read::Projector>& projector : projectors_) {
    projector->request_rebuild();
  }
}

}  // namespace tally::net
