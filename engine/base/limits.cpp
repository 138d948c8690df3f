#include "engine/base/limits.h"

namespace tally {

std::string LedgerLimits::validate() const {
  if (max_batch_commands < 1 || max_batch_commands > kBatchCommandsMax) {
    return "max_batch_commands must be between 1 and " + std::to_string(kBatchCommandsMax);
  }
  if (idempotency_window != 0 && idempotency_window < max_batch_commands) {
    return "idempotency_window must be 0 (off) or at least max_batch_commands (" +
           std::to_string(max_batch_commands) + "), or large retried batches would apply twice";
  }
  if (max_accounts >= UINT32_MAX) {
    return "max_accounts must be below " + std::to_string(UINT32_MAX);
  }
  return {};
}

}  // namespace tally
