#include "tools/export/exporter.h"

#include <algorithm>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "net/client/subscriber.h"
#include "tools/export/export_schema.h"
#include "tools/export/export_writer.h"
#include "tools/export/postgres_connection.h"

namespace tally::exporter {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kPoll{50};
constexpr std::chrono::seconds kFirstBackoff{1};
constexpr std::chrono::seconds kLastBackoff{30};

int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status unreachable(const client::ClientError& error) {
  return {StatusCode::kIoError, std::string("tallyd: ") + error.what()};
}

}  // namespace

Exporter::Exporter(ExporterOptions options, std::function<void(const ExportProgress&)> report)
    : options_(std::move(options)), report_(std::move(report)) {}

bool Exporter::run() {
  std::chrono::seconds backoff = kFirstBackoff;
  while (!stopping() && !caught_up_) {
    Status status;
    try {
      status = session();
    } catch (const client::ClientError& error) {
      status = unreachable(error);
    }
    if (status.is_ok()) {
      backoff = kFirstBackoff;
      continue;
    }
    progress_.last_failure = status.message();
    ++progress_.restarts;
    maybe_report(true);
    if (options_.until_caught_up) {
      return false;
    }
    for (auto waited = Clock::duration(0); waited < backoff && !stopping(); waited += kPoll) {
      std::this_thread::sleep_for(kPoll);
    }
    backoff = std::min(backoff * 2, kLastBackoff);
  }
  maybe_report(true);
  return true;
}

Status Exporter::session() {
  Result<PostgresConnection> connection = PostgresConnection::connect(options_.postgres);
  if (!connection.is_ok()) {
    return connection.status();
  }
  const ExportSchema schema(options_.schema);
  if (Status migrated = schema.migrate(*connection); !migrated.is_ok()) {
    return migrated;
  }
  ExportWriter writer(*connection, schema);
  Result<uint64_t> position = writer.resume_sequence();
  if (!position.is_ok()) {
    return position.status();
  }
  progress_.exported_sequence = *position;
  if (options_.until_caught_up && !caught_up_target_) {
    client::Client probe(options_.server);
    probe.connect();
    caught_up_target_ = probe.stats().durable_sequence;
  }
  if (options_.until_caught_up && *position >= *caught_up_target_) {
    caught_up_ = true;
    return Status::ok();
  }
  client::SubscriberOptions subscription;
  subscription.from_sequence = *position + 1;
  subscription.credit_window = std::max<uint32_t>(16'384, options_.batch_events * 2);
  client::Subscriber subscriber(options_.server, subscription);

  // The gathering: events of [first, through], written together.
  std::vector<Outcome> pending;
  uint64_t first = *position + 1;
  uint64_t through = *position;
  // When the last write began: the next is due max_wait after it, so when PostgreSQL takes
  // longer than max_wait over a write, the next one starts at once with everything that came
  // meanwhile (writes grow with the backlog instead of the backlog growing).
  Clock::time_point last_write = Clock::now();
  auto write = [&]() -> Status {
    last_write = Clock::now();
    if (Status written = writer.write(first, through, pending); !written.is_ok()) {
      return written;
    }
    if (!pending.empty()) {
      const double waited = static_cast<double>(wall_ns() - pending.front().timestamp_ns) / 1e9;
      progress_.lag_seconds_max = std::max(progress_.lag_seconds_max, waited);
    }
    progress_.events += pending.size();
    progress_.exported_sequence = through;
    pending.clear();
    first = through + 1;
    return Status::ok();
  };
  // Takes every batch that has arrived (waiting up to `wait` for the first), up to a write's
  // worth: a write then holds all that came during the last one, not just its first batch.
  auto gather = [&](std::chrono::milliseconds wait) {
    while (pending.size() < options_.batch_events) {
      std::optional<client::EventBatchView> batch = subscriber.next(wait);
      if (!batch) {
        return;
      }
      for (size_t index = 0; index < batch->size(); ++index) {
        pending.push_back(client::outcome_of((*batch)[index]));
      }
      through = batch->last_sequence();
      progress_.durable_sequence = batch->durable_sequence();
      wait = std::chrono::milliseconds(0);
    }
  };
  while (!stopping()) {
    gather(kPoll);
    const bool caught_up = options_.until_caught_up && through >= *caught_up_target_;
    const bool due = pending.size() >= options_.batch_events ||
                     Clock::now() - last_write >= options_.max_wait || caught_up;
    if (through >= first && due) {
      if (Status written = write(); !written.is_ok()) {
        return written;
      }
    }
    if (caught_up) {
      caught_up_ = true;
      return Status::ok();
    }
    maybe_report(false);
  }
  // Stopping: what was gathered is durable in tallyd, so it is written, not dropped.
  return through >= first ? write() : Status::ok();
}

void Exporter::maybe_report(bool force) {
  const Clock::time_point now = Clock::now();
  const double seconds = std::chrono::duration<double>(now - last_report_).count();
  if (!force && now - last_report_ < options_.progress_interval) {
    return;
  }
  progress_.events_per_second =
      seconds > 0 ? static_cast<double>(progress_.events - events_at_last_report_) / seconds : 0;
  events_at_last_report_ = progress_.events;
  last_report_ = now;
  if (report_) {
    report_(progress_);
  }
  progress_.lag_seconds_max = 0;
}

}  // namespace tally::exporter
