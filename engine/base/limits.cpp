#include "engine/base/limits.h"

namespace tally {

Status LedgerLimits::validate() const {
  if (batch_commands_max < 1 || batch_commands_max > kBatchCommandsMax) {
    return Status::invalid_argument("max_batch_commands must be between 1 and " +
                                    std::to_string(kBatchCommandsMax));
  }
  if (idempotency_window != 0 && idempotency_window < batch_commands_max) {
    return Status::invalid_argument(
        "idempotency_window must be 0 (off) or at least max_batch_commands (" +
        std::to_string(batch_commands_max) + "), or large retried batches would apply twice");
  }
  if (accounts_max >= UINT32_MAX) {
    return Status::invalid_argument("max_accounts must be below " + std::to_string(UINT32_MAX));
  }
  return Status::ok();
}

}  // namespace tally
