// The disk's own floor for a durable append: one append of N bytes followed by one sync, timed
// one by one, by each way the journaler could put bytes into a segment file. Reported as
// latency percentiles (p50, p99, p99.9 in microseconds), so the journal's own durable-append
// latency can be stated as a ratio to the floor measured in the same run.
//
// Sizes: 256 bytes (a lone request's records), 4 KiB and 64 KiB (groups under load).
// Ways (the file is 64 MiB, as a segment; a new one is made off the clock when it fills):
//   pwrite/prezeroed     pwrite into space already written with zeros, then fdatasync
//   pwrite/fallocated    pwrite into fallocate()d (unwritten) space, then fdatasync
//   mmap/fallocated      memcpy into a shared mapping of fallocate()d space, then msync
//   mmap/prezeroed       memcpy into a shared mapping of space written with zeros, then msync
// Unwritten extents cost a metadata commit per sync on conversion; writing through a mapping
// costs a page fault per page after writeback cleaned it. The first way avoids both.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tally::bench {
namespace {

constexpr uint64_t kFileBytes = 64ULL << 20;

enum class Way : int { kPwritePrezeroed, kPwriteFallocated, kMmapFallocated, kMmapPrezeroed };

bool uses_mapping(Way way) {
  return way == Way::kMmapFallocated || way == Way::kMmapPrezeroed;
}
bool prezeroed(Way way) {
  return way == Way::kPwritePrezeroed || way == Way::kMmapPrezeroed;
}

// One segment-sized file made the way `way` needs it, durable before the clock starts.
class FloorFile {
 public:
  FloorFile(const std::string& path, Way way) : path_(path), way_(way) {
    descriptor_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (descriptor_ < 0)
      return;
    if (prezeroed(way)) {
      const std::vector<uint8_t> zeros(1 << 20, 0);
      for (uint64_t offset = 0; offset < kFileBytes; offset += zeros.size()) {
        if (::pwrite(descriptor_, zeros.data(), zeros.size(), static_cast<off_t>(offset)) !=
            static_cast<ssize_t>(zeros.size())) {
          return;
        }
      }
    } else if (::posix_fallocate(descriptor_, 0, kFileBytes) != 0) {
      return;
    }
    if (::fsync(descriptor_) != 0)
      return;
    if (uses_mapping(way)) {
      void* address =
          ::mmap(nullptr, kFileBytes, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor_, 0);
      if (address == MAP_FAILED)
        return;
      mapping_ = static_cast<uint8_t*>(address);
    }
    ready_ = true;
  }
  FloorFile(const FloorFile&) = delete;
  FloorFile& operator=(const FloorFile&) = delete;
  ~FloorFile() {
    if (mapping_ != nullptr)
      ::munmap(mapping_, kFileBytes);
    if (descriptor_ >= 0)
      ::close(descriptor_);
    ::unlink(path_.c_str());
  }

  bool ready() const { return ready_; }

  // Appends `bytes` at `offset` and makes them durable; false on any failure.
  bool append_and_sync(const std::vector<uint8_t>& bytes, uint64_t offset) {
    if (uses_mapping(way_)) {
      std::memcpy(mapping_ + offset, bytes.data(), bytes.size());
      // msync wants a page-aligned start.
      const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
      const uint64_t start = offset / page * page;
      return ::msync(mapping_ + start, offset + bytes.size() - start, MS_SYNC) == 0;
    }
    return ::pwrite(descriptor_, bytes.data(), bytes.size(), static_cast<off_t>(offset)) ==
               static_cast<ssize_t>(bytes.size()) &&
           ::fdatasync(descriptor_) == 0;
  }

 private:
  std::string path_;
  Way way_;
  int descriptor_ = -1;
  uint8_t* mapping_ = nullptr;
  bool ready_ = false;
};

std::string scratch_path() {
  const char* base = std::getenv("TMPDIR");
  return std::string(base != nullptr ? base : "/tmp") + "/tally-disk-floor-" +
         std::to_string(::getpid());
}

double percentile_us(std::vector<double>& sorted_ns, double fraction) {
  const size_t index = std::min(
      sorted_ns.size() - 1, static_cast<size_t>(fraction * static_cast<double>(sorted_ns.size())));
  return sorted_ns[index] / 1000.0;
}

void disk_floor(benchmark::State& state, Way way) {
  const auto append_bytes = static_cast<size_t>(state.range(0));
  const std::vector<uint8_t> payload(append_bytes, 0xA5);
  const std::string path = scratch_path();
  auto file = std::make_unique<FloorFile>(path, way);
  if (!file->ready()) {
    state.SkipWithError("cannot prepare the file (open, zero-fill, fallocate or mmap)");
    return;
  }
  std::vector<double> latencies_ns;
  latencies_ns.reserve(static_cast<size_t>(state.max_iterations));
  uint64_t offset = 0;
  for (auto _ : state) {
    if (offset + append_bytes > kFileBytes) {
      state.PauseTiming();
      file.reset();
      file = std::make_unique<FloorFile>(path, way);
      offset = 0;
      state.ResumeTiming();
      if (!file->ready()) {
        state.SkipWithError("cannot prepare the next file");
        return;
      }
    }
    const auto start = std::chrono::steady_clock::now();
    if (!file->append_and_sync(payload, offset)) {
      state.SkipWithError("append or sync failed");
      return;
    }
    latencies_ns.push_back(static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                   std::chrono::steady_clock::now() - start)
                                                   .count()));
    offset += append_bytes;
  }
  std::sort(latencies_ns.begin(), latencies_ns.end());
  if (latencies_ns.empty())
    return;
  state.counters["p50_us"] = percentile_us(latencies_ns, 0.50);
  state.counters["p99_us"] = percentile_us(latencies_ns, 0.99);
  state.counters["p999_us"] = percentile_us(latencies_ns, 0.999);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(append_bytes));
}

// Registered by name ("DiskFloor/pwrite_prezeroed/bytes:4096") so that a filter and a reader
// see the way, not a number.
const bool kRegistered = [] {
  const std::pair<const char*, Way> ways[] = {{"pwrite_prezeroed", Way::kPwritePrezeroed},
                                              {"pwrite_fallocated", Way::kPwriteFallocated},
                                              {"mmap_fallocated", Way::kMmapFallocated},
                                              {"mmap_prezeroed", Way::kMmapPrezeroed}};
  for (const auto& [name, way] : ways) {
    benchmark::RegisterBenchmark((std::string("DiskFloor/") + name).c_str(), disk_floor, way)
        ->ArgName("bytes")
        ->Arg(256)
        ->Arg(4096)
        ->Arg(65536)
        ->Iterations(2000)
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  }
  return true;
}();

}  // namespace
}  // namespace tally::bench
