// The power-loss simulation (power_loss_simulation.h) over many seeds. TALLY_POWER_LOSS_SEEDS
// sets how many (default 300; CI runs the default, a soak runs tally-power-loss for millions),
// TALLY_POWER_LOSS_FIRST_SEED where they start.
#include "sim/power_loss_simulation.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace tally::testing {
namespace {

uint64_t from_environment(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value == nullptr ? fallback : std::stoull(value);
}

TEST(PowerLossSimulationTest, NoSeedLosesAnAcknowledgedRequestOrMisreadsTheDisk) {
  const uint64_t first = from_environment("TALLY_POWER_LOSS_FIRST_SEED", 1);
  const uint64_t seeds = from_environment("TALLY_POWER_LOSS_SEEDS", 300);
  SimulationResult total;
  for (uint64_t seed = first; seed < first + seeds; ++seed) {
    const SimulationOptions options{.seed = seed};
    const SimulationResult result = simulate_power_loss(options);
    ASSERT_TRUE(result.passed) << result.failure << "\nreproduce: " << reproduce_command(options);
    total.requests += result.requests;
    total.acknowledged += result.acknowledged;
    total.power_losses += result.power_losses;
    total.clean_stops += result.clean_stops;
    total.torn_tails_cut += result.torn_tails_cut;
    total.corruptions_refused += result.corruptions_refused;
    total.snapshots_skipped += result.snapshots_skipped;
    total.snapshots_written += result.snapshots_written;
    total.retries_answered += result.retries_answered;
  }
  // Every path the simulation claims to cover was taken.
  EXPECT_GT(total.acknowledged, seeds * 100);
  EXPECT_GE(total.power_losses, seeds * 4);
  EXPECT_GT(total.clean_stops, 0u);
  EXPECT_GT(total.torn_tails_cut, 0u);
  EXPECT_GT(total.corruptions_refused, 0u);
  EXPECT_GT(total.snapshots_skipped, 0u);
  EXPECT_GT(total.snapshots_written, 0u);
  EXPECT_GT(total.retries_answered, 0u);
}

TEST(PowerLossSimulationTest, ASeedReplaysStepForStep) {
  const SimulationOptions options{.seed = 20261204, .trace = true};
  const SimulationResult first = simulate_power_loss(options);
  const SimulationResult second = simulate_power_loss(options);
  EXPECT_TRUE(first.passed) << first.failure;
  EXPECT_FALSE(first.trace.empty());
  EXPECT_EQ(first.trace, second.trace);
}

// The simulation is only worth its seeds if it catches a journal that loses acknowledged
// requests: one that acknowledges before it syncs must fail it.
TEST(PowerLossSimulationTest, AJournalThatAcknowledgesBeforeItSyncsIsCaught) {
  uint64_t caught = 0;
  uint64_t lost = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const SimulationResult result =
        simulate_power_loss({.seed = seed, .acknowledge_unsynced = true});
    caught += result.passed ? 0 : 1;
    // Or a flipped bit in a record it believed synced was taken for a torn tail.
    lost += result.failure.find("recovered only through") != std::string::npos ? 1 : 0;
  }
  EXPECT_GE(caught, 15u);
  EXPECT_GE(lost, 5u);
}

}  // namespace
}  // namespace tally::testing
