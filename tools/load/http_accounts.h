// Opening the run's accounts over HTTP, before an HTTP run (--http-port), as the binary mode
// opens them over its own protocol: POST /api/accounts for each, with the run's currency and
// initial deposit, on a few keep-alive connections (one thread each) with a few requests
// pipelined on each. Every opening must be answered 201; anything else stops the run.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tools/load/http_requests.h"
#include "tools/load/load_options.h"

namespace tally::load {

// Opens `accounts` and returns the highest sequence of their openings. `progress` is called
// on the calling thread about ten times a second with the openings answered so far. Throws
// client::ClientError: kConnect if a connection cannot be made, kRefused (with the status and
// body) if an opening is not answered 201, kProtocol if a connection is lost.
uint64_t open_accounts_over_http(const LoadOptions& options, const HttpRequests& requests,
                                 const std::vector<std::string>& accounts,
                                 const std::function<void(uint64_t opened)>& progress);

}  // namespace tally::load
