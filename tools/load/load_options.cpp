#include "tools/load/load_options.h"

#include "tools/load/http_requests.h"

namespace tally::load {

Status LoadOptions::validate() const {
  if (duration_seconds <= 0) {
    return Status::invalid_argument("--duration must be positive");
  }
  if (connections < 1 || connections > 1024) {
    return Status::invalid_argument("--connections must be between 1 and 1024");
  }
  if (accounts < 2) {
    return Status::invalid_argument("--accounts must be at least 2 (transfers need two)");
  }
  if (min_amount < 1 || max_amount < min_amount) {
    return Status::invalid_argument("--min-amount must be at least 1 and at most --max-amount");
  }
  if (initial_deposit < 0) {
    return Status::invalid_argument("--initial-deposit must not be negative");
  }
  if (hot_account_ratio <= 0 || hot_account_ratio > 1 || hot_selection_rate < 0 ||
      hot_selection_rate > 1) {
    return Status::invalid_argument(
        "--hot-account-ratio must be in (0, 1] and --hot-selection-rate in [0, 1]");
  }
  if (!(read_weight >= 0 && read_weight <= 1)) {
    return Status::invalid_argument("--read-weight must be between 0 and 1");
  }
  if (read_weight < 1 && deposit_weight + withdraw_weight + transfer_weight + open_weight == 0) {
    return Status::invalid_argument(
        "at least one command weight must be positive (or --read-weight 1)");
  }
  if (batch < 1 || pipeline < 1) {
    return Status::invalid_argument("--batch and --pipeline must be at least 1");
  }
  if (rate < 0) {
    return Status::invalid_argument("--rate must not be negative");
  }
  if (currency.size() != 3) {
    return Status::invalid_argument("--currency must be a three-letter ISO 4217 code");
  }
  if (http_port != 0) {
    if (batch != 1) {
      return Status::invalid_argument(
          "--batch must be 1 with --http-port: each HTTP request is one deposit (1 is the "
          "default there)");
    }
    if (http_threads < 1 || http_threads > connections) {
      return Status::invalid_argument("--http-threads must be between 1 and --connections");
    }
    if (read_weight > 0) {
      return Status::invalid_argument(
          "--read-weight is not available with --http-port: its requests are deposits only");
    }
    if (!plain_account_text(account_prefix) || !plain_account_text(currency)) {
      return Status::invalid_argument(
          "with --http-port, --account-prefix and --currency may hold only ASCII letters, "
          "digits and -._~ (they go into URLs and JSON as they are)");
    }
  }
  return Status::ok();
}

}  // namespace tally::load
