// validated(config, what): the start-up check shared by every configuration type with a
// `Status validate() const` (ok when consistent). Throws std::invalid_argument naming the
// configuration and the problem, so an operator sees what to fix; meant for constructors'
// initializer lists, so nothing is built from an inconsistent configuration.
#pragma once

#include <stdexcept>
#include <string>

#include "engine/base/status.h"

namespace tally {

template <typename Config>
const Config& validated(const Config& config, const char* what) {
  if (const Status status = config.validate(); !status.is_ok()) {
    throw std::invalid_argument(std::string(what) + ": " + status.message());
  }
  return config;
}

}  // namespace tally
