// ExitCode: how Tally's programs (tallyd, tally, tally-replay, tally-load) end, one vocabulary
// for all four, so that a script reads a number the same way whichever it ran. Each number has
// one sense, told below per program; a program that has no such case never returns it. The
// numbers are part of each program's interface (--help, its README, docs/): never renumber.
//
// In base, the one layer all four may include; nothing in the engine returns one.
#pragma once

namespace tally {

enum class ExitCode : int {
  // Done as asked. tallyd: stopped cleanly on SIGINT/SIGTERM. tally: every command was
  // applied, a query was answered. tally-replay: all is well. tally-load: the run was
  // consistent.
  kOk = 0,
  // Done, and the answer is no (what went wrong is printed). tally: at least one command was
  // rejected by the ledger. tally-replay: something is corrupt (verify, dump, state, stats), or
  // repair found what to cut and was not told to (--cut). tally-load: a consistency check
  // failed, or a connection was lost for good. tallyd: recovery, listening or the journal
  // failed (nothing is acknowledged after a journal failure).
  kFailed = 1,
  // Bad flags, options or input: nothing was done (tally: nor sent; amounts, times, dates and
  // batch lines count). tally-replay: also an I/O error (a data directory it cannot lock, read
  // or write).
  kUsage = 2,
  // Someone else said no. tally: the server refused the request or the query. tallyd and
  // tally-replay: another process holds the data directory.
  kRefused = 3,
  // tally and tally-load: no connection, no answer in time, or an answer that made no sense.
  kUnreachable = 4,
};

}  // namespace tally
