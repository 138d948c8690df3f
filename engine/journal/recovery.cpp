#include "engine/journal/recovery.h"

#include <algorithm>

#include "engine/base/invariant.h"
#include "engine/journal/durable_mark.h"
#include "engine/journal/journal_format.h"
#include "engine/journal/journal_manifest.h"
#include "engine/journal/segment_names.h"
#include "engine/journal/snapshot.h"

namespace tally::journal {
namespace {

// The highest sequence known to have been synced, and who says so.
struct SyncedFloor {
  uint64_t sequence = 0;
  std::string source = "nothing (a new journal)";

  void raise(uint64_t candidate, std::string candidate_source) {
    if (candidate > sequence) {
      sequence = candidate;
      source = std::move(candidate_source);
    }
  }
};

Status refusal(std::string report) {
  return {StatusCode::kCorruption, "journal refused: " + std::move(report)};
}

std::string segment_path(const std::string& directory, uint64_t index) {
  return directory + "/" + segment_name(index);
}

// Decides whether the journal in `directory` can be trusted, from a scan that changed nothing.
class Verdict {
 public:
  Verdict(const std::string& directory, const RecoveryOptions& options, const ScanResult& scan,
          const std::optional<JournalManifest>& manifest, const DurableMarkRead& mark,
          RecoveryReport& report)
      : directory_(directory),
        options_(options),
        scan_(scan),
        manifest_(manifest),
        mark_(mark),
        report_(report) {}

  Status decide();

 private:
  Status check_extent_without_manifest();
  Status check_extent(const JournalManifest& manifest);
  void find_floor();
  Status judge_damage();
  Status judge_end();

  const std::string& directory_;
  const RecoveryOptions& options_;
  const ScanResult& scan_;
  const std::optional<JournalManifest>& manifest_;
  const DurableMarkRead& mark_;
  RecoveryReport& report_;
  SyncedFloor floor_;
};

Status Verdict::decide() {
  Status status = manifest_ ? check_extent(*manifest_) : check_extent_without_manifest();
  if (!status.is_ok()) {
    return status;
  }
  find_floor();
  return scan_.damage ? judge_damage() : judge_end();
}

Status Verdict::check_extent_without_manifest() {
  const std::vector<uint64_t>& segments = scan_.segments;
  if (segments.empty()) {
    const uint64_t snapshot = std::max(options_.snapshot_sequence, options_.snapshot_on_disk);
    if (snapshot > 0) {
      return refusal("snapshots reach sequence " + std::to_string(snapshot) + " but " + directory_ +
                     " has no segments and no manifest");
    }
    return Status::ok();  // a new journal
  }
  // The writer creates segment 0 and only then its manifest: a crash between leaves one empty
  // segment. A journal written before manifests existed (format 1) has none either.
  const bool creation_interrupted = segments.size() == 1 && segments.front() == 0 &&
                                    scan_.last_segment_records == 0 && !scan_.damage;
  const bool written_before_manifests = scan_.all_segments_version_1 && !mark_.exists;
  if (written_before_manifests && !creation_interrupted) {
    report_.warnings.push_back(
        "journal written before manifests (format 1): no synced floor is "
        "known beyond the snapshot; a manifest is written from now on");
  }
  if (creation_interrupted || written_before_manifests) {
    return Status::ok();
  }
  return refusal(directory_ + "/" + std::string(kManifestName) + " is missing, yet segments " +
                 std::to_string(segments.front()) + " to " + std::to_string(segments.back()) +
                 " are present: without it a lost tail or segment cannot be told from the end");
}

Status Verdict::check_extent(const JournalManifest& manifest) {
  const std::vector<uint64_t>& segments = scan_.segments;
  const std::string extent = "the manifest lists segments " +
                             std::to_string(manifest.first_segment) + " to " +
                             std::to_string(manifest.last_segment);
  if (!mark_.exists) {
    report_.warnings.push_back(directory_ + "/" + std::string(kDurableMarkName) +
                               " is missing: the synced floor is the manifest's");
  }
  if (segments.empty()) {
    return refusal(extent + " (up to sequence " + std::to_string(manifest.durable_sequence) +
                   " synced), but " + directory_ + " has none");
  }
  if (segments.front() > manifest.first_segment) {
    return refusal(segment_path(directory_, manifest.first_segment) + " is missing: " + extent);
  }
  if (segments.front() < manifest.first_segment) {
    return refusal(segment_path(directory_, segments.front()) + " precedes the journal: " + extent);
  }
  if (segments.back() < manifest.last_segment) {
    return refusal(segment_path(directory_, segments.back() + 1) + " is missing: " + extent +
                   " (up to sequence " + std::to_string(manifest.durable_sequence) +
                   " synced); the journal's newest data is gone");
  }
  // A rotation names the new segment in the manifest before writing into it: one more segment,
  // empty, is the trace of a crash in between.
  const bool interrupted_rotation =
      segments.back() == manifest.last_segment + 1 &&
      scan_.append_position.segment_index == segments.back() && scan_.last_segment_records == 0 &&
      (!scan_.damage || scan_.damage->segment_index != segments.back());
  if (segments.back() > manifest.last_segment && !interrupted_rotation) {
    return refusal(segment_path(directory_, segments.back()) + " is beyond the journal: " + extent +
                   " (a manifest older than its journal?)");
  }
  return Status::ok();
}

void Verdict::find_floor() {
  if (manifest_) {
    floor_.raise(manifest_->durable_sequence,
                 manifest_->clean ? "the manifest (clean shutdown)" : "the manifest");
  }
  floor_.raise(mark_.sequence, "the durable mark");
  floor_.raise(options_.snapshot_sequence,
               "the snapshot at sequence " + std::to_string(options_.snapshot_sequence));
  floor_.raise(options_.snapshot_on_disk,
               "the snapshot at sequence " + std::to_string(options_.snapshot_on_disk));
  if (scan_.damage) {
    floor_.raise(scan_.damage->later_synced_floor_max,
                 "a later record's synced distance in " + scan_.damage->file);
  }
}

Status Verdict::judge_damage() {
  const JournalDamage& damage = *scan_.damage;
  JournalCut cut{
      .file = damage.file,
      .segment_index = damage.segment_index,
      .offset = damage.offset,
      .first_sequence = damage.sequence,
      .events_cut = std::max(damage.later_sequence_max, damage.sequence) - damage.sequence + 1,
      .bytes = damage.written_end - damage.offset,
      .torn_tail = true,
      .problem = damage.problem,
      .saved_to = {}};
  std::string not_torn;
  if (!damage.in_last_segment) {
    not_torn = "later segments follow it";
  } else if (damage.sequence <= floor_.sequence) {
    not_torn = "sequence " + std::to_string(floor_.sequence) + " was synced (known from " +
               floor_.source + ")";
  } else if (cut.bytes > kUnsyncedBytesMax) {
    not_torn = "written data runs " + std::to_string(cut.bytes) +
               " bytes past it, more than the writer ever leaves unsynced";
  }
  report_.synced_floor = floor_.sequence;
  report_.synced_floor_source = floor_.source;
  if (not_torn.empty()) {
    report_.cut = cut;
    return Status::ok();
  }
  if (options_.cut_at_corruption) {
    cut.torn_tail = false;
    report_.cut = cut;
    report_.warnings.push_back("cutting at corruption on the operator's request: " + not_torn);
    return Status::ok();
  }
  return {StatusCode::kCorruption, "journal corrupt: " + damage.file + " at offset " +
                                       std::to_string(damage.offset) + ", expecting sequence " +
                                       std::to_string(damage.sequence) + ": " + damage.problem +
                                       "; not a torn tail: " + not_torn + " (at least " +
                                       std::to_string(cut.events_cut) + " events from there on)"};
}

Status Verdict::judge_end() {
  const uint64_t last = scan_.append_position.next_sequence - 1;
  report_.synced_floor = floor_.sequence;
  report_.synced_floor_source = floor_.source;
  if (last < floor_.sequence && !options_.cut_at_corruption) {
    const AppendPosition& end = scan_.append_position;
    return refusal("ends at sequence " + std::to_string(last) +
                   (end.fresh ? std::string()
                              : " (" + segment_path(directory_, end.segment_index) + " offset " +
                                    std::to_string(end.offset) + ")") +
                   ", but sequence " + std::to_string(floor_.sequence) +
                   " was synced (known from " + floor_.source +
                   "): acknowledged events are missing");
  }
  if (manifest_ && manifest_->clean && last > manifest_->durable_sequence) {
    return refusal("continues to sequence " + std::to_string(last) +
                   " past the clean shutdown its manifest recorded at sequence " +
                   std::to_string(manifest_->durable_sequence));
  }
  report_.clean_shutdown = manifest_ && manifest_->clean && last == manifest_->durable_sequence;
  return Status::ok();
}

// Keeps the cut bytes aside (synced), then zeroes them so appending resumes at the cut, and on
// an operator's cut moves the segments after it aside (".cut"), out of the journal.
Status apply_cut(Storage& storage, const std::string& directory, const ScanResult& scan,
                 JournalCut& cut) {
  MappedFile file;
  if (Status status = storage.map_file(cut.file, file); !status.is_ok()) {
    return status;
  }
  const std::string saved =
      segment_path(directory, cut.segment_index) + "." + std::to_string(cut.offset) + ".cut";
  storage.remove(saved);  // a cut of an earlier start that crashed before it finished
  Status status = storage.write_file(saved, file.bytes.subspan(cut.offset, cut.bytes));
  if (status.is_ok()) {
    status = storage.sync_directory(directory);
  }
  if (status.is_ok()) {
    std::fill(file.bytes.begin() + static_cast<ptrdiff_t>(cut.offset), file.bytes.end(),
              uint8_t{0});
    status = storage.sync(file, cut.offset, file.bytes.size() - cut.offset);
  }
  storage.unmap_file(file);
  for (const uint64_t index : scan.segments) {
    if (status.is_ok() && index > cut.segment_index) {  // kept aside, like the cut bytes
      status =
          storage.rename(segment_path(directory, index), segment_path(directory, index) + ".cut");
    }
  }
  if (status.is_ok()) {
    status = storage.sync_directory(directory);
  }
  cut.saved_to = saved;
  return status;
}

}  // namespace

RecoveryReport assess_journal(Storage& storage, const std::string& directory,
                              const RecoveryOptions& options, const EventVisitor& visit) {
  const auto started = std::chrono::steady_clock::now();
  RecoveryReport report;
  const Result<std::optional<JournalManifest>> manifest = read_manifest(storage, directory);
  const DurableMarkRead mark = read_durable_mark(storage, directory);
  const ScanResult scan =
      scan_journal(storage, directory, {.after_sequence = options.snapshot_sequence}, visit);
  report.events_replayed = scan.events_visited;
  report.append_position = scan.append_position;
  report.status = manifest.is_ok() ? scan.status : manifest.status();
  if (report.status.is_ok()) {
    report.status = Verdict(directory, options, scan, *manifest, mark, report).decide();
  }
  if (report.append_position.fresh) {
    report.append_position.next_sequence = options.snapshot_sequence + 1;
  }
  report.last_sequence = report.append_position.next_sequence - 1;
  if (report.status.is_ok() && report.cut && !options.read_only) {
    report.status = apply_cut(storage, directory, scan, *report.cut);
  }
  report.duration = std::chrono::steady_clock::now() - started;
  return report;
}

RecoveryReport recover(Storage& storage, const std::string& directory, Ledger& ledger,
                       const RecoveryOptions& options) {
  return assess_journal(storage, directory, options,
                        [&](const Outcome& event) { return ledger.replay(event); });
}

LedgerRecovery recover_ledger(Storage& storage, const std::string& journal_directory,
                              const std::string& snapshot_directory, const LedgerLimits& limits) {
  LedgerRecovery recovery;
  SnapshotLoad load = load_newest_snapshot(storage, snapshot_directory, limits);
  recovery.status = load.status;
  recovery.ledger = std::move(load.ledger);
  recovery.snapshot_sequence = load.sequence;
  recovery.snapshots_skipped = std::move(load.skipped);
  if (!recovery.status.is_ok()) {
    return recovery;
  }
  recovery.journal = recover(storage, journal_directory, *recovery.ledger,
                             {.snapshot_sequence = recovery.snapshot_sequence});
  recovery.status = recovery.journal.status;
  return recovery;
}

}  // namespace tally::journal
