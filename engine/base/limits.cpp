#include "engine/base/limits.h"

namespace tally {

Status LedgerLimits::validate() const {
  if (max_batch_commands < 1 || max_batch_commands > kBatchCommandsMax) {
    return Status::invalid_argument("max_batch_commands must be between 1 and " +
                                    std::to_string(kBatchCommandsMax));
  }
  if (idempotency_window != 0 && idempotency_window < max_batch_commands) {
    return Status::invalid_argument(
        "idempotency_window must be 0 (off) or at least max_batch_commands (" +
        std::to_string(max_batch_commands) + "), or large retried batches would apply twice");
  }
  if (max_accounts >= UINT32_MAX) {
    return Status::invalid_argument("max_accounts must be below " + std::to_string(UINT32_MAX));
  }
  return Status::ok();
}

}  // namespace tally
