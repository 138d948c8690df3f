#include "engine/pipeline/wait_strategy.h"

#include <sched.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace tally {

std::optional<WaitKind> parse_wait_kind(std::string_view name) {
  if (name == "spin")
    return WaitKind::kSpin;
  if (name == "yield")
    return WaitKind::kYield;
  if (name == "block")
    return WaitKind::kBlock;
  if (name == "adaptive")
    return WaitKind::kAdaptive;
  return std::nullopt;
}

std::string_view wait_kind_name(WaitKind kind) {
  switch (kind) {
    case WaitKind::kSpin:
      return "spin";
    case WaitKind::kYield:
      return "yield";
    case WaitKind::kBlock:
      return "block";
    case WaitKind::kAdaptive:
      return "adaptive";
  }
  return "unknown";
}

void WaitStrategy::pause() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

void WaitStrategy::yield() {
  sched_yield();
}

}  // namespace tally
