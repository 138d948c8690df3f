// Prints the server's counters (every ServerStats field, rejections by reason with their
// names) and who the server is, as aligned "name  value" lines or, with --json, one object.
// money_in and money_out add up every currency, so they are printed as raw minor units.
#pragma once

#include "net/protocol/messages.h"

namespace tally::cli {

void print_stats(const net::ServerStats& stats, const net::ServerHello& server, bool json);

}  // namespace tally::cli
