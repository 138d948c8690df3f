// ProjectorStatus: how far one read-side projector has got and what it has done, as a plain
// value. One struct for every side: the projector reports it (engine/read/projector.h), the
// server sends it and the client decodes it (net/protocol/messages.h) as the FlatBuffers table
// protocol::ProjectorStatus, field for field, so nothing is copied from one form to another.
// It lives here, in wire, because that is the lowest layer both the read side and the network
// protocol may use.
#pragma once

#include <cstdint>
#include <string>

namespace tally {

struct ProjectorStatus {
  std::string name;
  uint64_t applied_sequence = 0;  // the last event applied to its read model
  // Durable events not yet applied, against the durable sequence reported with it
  // (ProjectionReport): the projector itself does not read it, so its own status() says 0.
  uint64_t lag = 0;
  uint64_t events_applied = 0;  // since start or the last rebuild
  uint64_t queries_answered = 0;
  uint64_t queries_waiting = 0;  // for their min_sequence
  uint64_t queries_timed_out = 0;
  uint64_t rebuilds = 0;
  bool failed = false;  // stopped following the journal: Projector::failure() says why
  // Read-model checkpoints: whether the model started from one (not from the journal's first
  // event) and the sequence it covered (until a rebuild; then false and 0), and how many were
  // written since start.
  bool started_from_checkpoint = false;
  uint64_t checkpoint_sequence = 0;
  uint64_t checkpoints_written = 0;
};

}  // namespace tally
