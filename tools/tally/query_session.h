// run_query: one read-side query against tallyd (tally history alice, tally projections, ...).
// Connects, sends the query, prints the answer, and turns what happened into the exit code:
// 0 answered; 2 a usage error (nothing sent); 3 refused by the server, with its code and
// message (an unknown account, a bad range, a limit over the maximum, a --min-sequence not
// reached in time: Timeout); 4 no connection or no answer.
//
// Answers that do not carry the currency of their amounts (a trail, a search, a balance as
// of) are completed with one balance query per account they name, asked once the account read
// model has got as far as the answer, so that every account in it is known (for a trail: the
// account asked about, and the other side of each refused transfer, which may have another
// currency).
#pragma once

#include "tools/tally/exit_code.h"
#include "tools/tally/query_request.h"
#include "tools/tally/session.h"

namespace tally::cli {

// Throws UsageError for a query that cannot be sent as typed.
ExitCode run_query(const SessionSettings& settings, const QueryRequest& request);

}  // namespace tally::cli
