#include "tools/load/sync_baseline.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace tally::load {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw std::runtime_error("sync baseline: " + what + " " + path + ": " + std::strerror(errno));
}

// Writes `bytes` at `offset` whole (pwrite may write less).
void write_at(int descriptor, const uint8_t* data, size_t bytes, off_t offset,
              const std::string& path) {
  size_t done = 0;
  while (done < bytes) {
    const ssize_t written =
        ::pwrite(descriptor, data + done, bytes - done, offset + static_cast<off_t>(done));
    if (written <= 0) {
      fail("cannot write", path);
    }
    done += static_cast<size_t>(written);
  }
}

}  // namespace

LatencyHistogram measure_append_syncs(const std::string& directory, uint32_t appends,
                                      uint32_t append_bytes) {
  std::string path = directory + "/tally-load-sync-baseline-XXXXXX";
  const int descriptor = ::mkstemp(path.data());
  if (descriptor < 0) {
    fail("cannot create a file in", directory);
  }
  ::unlink(path.c_str());  // gone when closed, even if this throws
  const size_t total = static_cast<size_t>(appends) * append_bytes;
  // Zeros first, synced: the appends then change data only, as a journal segment's would.
  const std::vector<uint8_t> zeros(total, 0);
  write_at(descriptor, zeros.data(), zeros.size(), 0, path);
  if (::fsync(descriptor) != 0) {
    fail("cannot sync", path);
  }
  const std::vector<uint8_t> record(append_bytes, 0x5A);
  LatencyHistogram histogram;
  for (uint32_t append = 0; append < appends; ++append) {
    const auto started = std::chrono::steady_clock::now();
    write_at(descriptor, record.data(), record.size(), static_cast<off_t>(append) * append_bytes,
             path);
    if (::fdatasync(descriptor) != 0) {
      fail("cannot sync", path);
    }
    histogram.record(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                               std::chrono::steady_clock::now() - started)
                                               .count()));
  }
  ::close(descriptor);
  return histogram;
}

}  // namespace tally::load
