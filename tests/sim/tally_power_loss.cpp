// tally-power-loss: runs the power-loss simulation (power_loss_simulation.h) over a range of
// seeds, for soaks, or one seed with its trace, to reproduce a failure.
//
//   tally-power-loss --seed 42 --trace          one seed, every step printed
//   tally-power-loss --first 1 --count 1000000  a soak; progress every 10,000 seeds
//
// Exits 0 if every seed passed, 1 at the first that failed (printing how to reproduce it), 2 on
// a usage error.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sim/power_loss_simulation.h"

namespace {

int usage(const char* problem) {
  std::fprintf(stderr,
               "tally-power-loss: %s\n"
               "usage: tally-power-loss [--seed N | --first N --count N] [--lives N] "
               "[--requests N] [--trace]\n",
               problem);
  return 2;
}

bool parse_number(const char* text, uint64_t& value) {
  char* end = nullptr;
  value = std::strtoull(text, &end, 10);
  return end != text && *end == '\0';
}

}  // namespace

int main(int argc, char** argv) {
  tally::testing::SimulationOptions options;
  uint64_t first = 1;
  uint64_t count = 1;
  for (int index = 1; index < argc; ++index) {
    const std::string_view flag = argv[index];
    if (flag == "--trace") {
      options.trace = true;
      continue;
    }
    uint64_t value = 0;
    if (index + 1 >= argc || !parse_number(argv[index + 1], value)) {
      return usage(("a number must follow " + std::string(flag)).c_str());
    }
    ++index;
    if (flag == "--seed") {
      first = value;
      count = 1;
    } else if (flag == "--first") {
      first = value;
    } else if (flag == "--count") {
      count = value;
    } else if (flag == "--lives" && value > 0) {
      options.lives = static_cast<uint32_t>(value);
    } else if (flag == "--requests" && value > 0) {
      options.requests_per_life = static_cast<uint32_t>(value);
    } else {
      return usage(("unknown option or value: " + std::string(flag)).c_str());
    }
  }
  const auto started = std::chrono::steady_clock::now();
  uint64_t acknowledged = 0;
  uint64_t power_losses = 0;
  for (uint64_t seed = first; seed < first + count; ++seed) {
    options.seed = seed;
    const tally::testing::SimulationResult result = tally::testing::simulate_power_loss(options);
    std::fputs(result.trace.c_str(), stdout);
    if (!result.passed) {
      std::printf("FAILED: %s\nreproduce: %s\n", result.failure.c_str(),
                  tally::testing::reproduce_command(options).c_str());
      return 1;
    }
    acknowledged += result.acknowledged;
    power_losses += result.power_losses;
    const uint64_t done = seed - first + 1;
    if (done % 10'000 == 0 || done == count) {
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      std::printf(
          "%llu of %llu seeds passed: %llu power losses, %llu acknowledged requests, %.0f s\n",
          static_cast<unsigned long long>(done), static_cast<unsigned long long>(count),
          static_cast<unsigned long long>(power_losses),
          static_cast<unsigned long long>(acknowledged), seconds);
      std::fflush(stdout);
    }
  }
  return 0;
}
