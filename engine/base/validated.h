// validated(config, what): the start-up check shared by every configuration type with a
// `std::string validate() const` (empty when consistent). Throws std::invalid_argument naming
// the configuration and the problem, so an operator sees what to fix; meant for constructors'
// initializer lists, so nothing is built from an inconsistent configuration.
#pragma once

#include <stdexcept>
#include <string>

namespace tally {

template <typename Config>
const Config& validated(const Config& config, const char* what) {
  if (const std::string problem = config.validate(); !problem.empty()) {
    throw std::invalid_argument(std::string(what) + ": " + problem);
  }
  return config;
}

}  // namespace tally
