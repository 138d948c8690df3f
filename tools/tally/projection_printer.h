// Prints how far each projector has got (tally projections, and the state a rebuild starts
// from): one row per projector with its applied sequence, lag, events applied, query counters
// and rebuilds, or with --json one object.
#pragma once

#include "net/protocol/messages.h"

namespace tally::cli {

// `rebuild_started`: the answer to tally projections rebuild.
void print_projections(const net::ProjectionReport& report, bool rebuild_started, bool json);

}  // namespace tally::cli
