// Fuzz target: one request message (a frame without its length header), through everything
// tallyd does with it (request_path.h): the envelope verified, a command batch checked, decoded,
// fingerprinted, applied and retried, a query answered by its read model, every answer checked
// to be a well-formed Response.
#include <cstddef>
#include <cstdint>

#include "fuzz/request_path.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static tally::fuzz::RequestPath path;
  path.handle({data, size});
  return 0;
}
