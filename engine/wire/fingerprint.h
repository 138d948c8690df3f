// Fingerprints: what "the same request" means for an idempotent retry. A retry must carry the
// same commands, field for field, in a batch of the same shape (size and atomic flag); the
// origin (which connection sent it) does not count, so a retry may come over another one.
// Pure functions, any thread: the ingress computes a request's fingerprint on the producer's
// thread so the business-logic thread does not have to.
#pragma once

#include <cstdint>

#include "engine/wire/command.h"

namespace tally {

// CommandBatch::fingerprint before anyone computed it; request_fingerprint never returns it.
inline constexpr uint64_t kFingerprintNotComputed = 0;

// One command within its batch.
uint64_t command_fingerprint(const Command& command, const CommandBatch& batch);

// The whole request: every command's fingerprint, in order. Computed incrementally as
//   so_far = kFingerprintNotComputed; so_far = add_to_request_fingerprint(so_far, each command's);
//   finish_request_fingerprint(so_far)
// by whoever walks the commands anyway (the ledger does, in its one pass over a batch).
uint64_t request_fingerprint(const CommandBatch& batch);

uint64_t add_to_request_fingerprint(uint64_t so_far, uint64_t command_fingerprint);

inline uint64_t finish_request_fingerprint(uint64_t so_far) {
  return so_far == kFingerprintNotComputed ? 1 : so_far;
}

}  // namespace tally
