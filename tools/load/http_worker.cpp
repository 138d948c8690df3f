#include "tools/load/http_worker.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>

namespace tally::load {
namespace {

using client::ClientError;

// Open loop: requests due but not yet answered at most per connection (as LoadWorker's), so a
// stalled server cannot make the load tool queue without bound.
constexpr size_t kOpenLoopInFlightMax = 1 << 16;

// The first HTTP error's body is kept up to this many bytes.
constexpr size_t kErrorBodyBytesMax = 512;

// What tallyd's HTTP error body says when the engine rejected the command (its result code is
// the body's "code"), as opposed to a request refused before it reached the engine.
constexpr std::string_view kRejectedCommand = "\"the command was rejected: ";

[[noreturn]] void fail(const std::string& what) {
  throw ClientError(ClientError::Kind::kProtocol, what + ": " + std::strerror(errno));
}

}  // namespace

HttpWorker::HttpWorker(const LoadOptions& options, uint32_t index, uint32_t workers,
                       uint32_t connections, const std::vector<std::string>& accounts,
                       const HttpRequests& requests, LiveCounters& live)
    : options_(options),
      index_(index),
      workers_(workers),
      accounts_(accounts),
      requests_(requests),
      live_(live),
      random_(options.seed * 7919 + index),
      hot_accounts_(std::max<uint32_t>(
          1, static_cast<uint32_t>(
                 std::ceil(options.hot_account_ratio * static_cast<double>(accounts.size()))))) {
  for (uint32_t link = 0; link < connections; ++link) {
    links_.push_back(std::make_unique<Link>(options));
  }
}

HttpWorker::~HttpWorker() {
  if (epoll_ >= 0) {
    ::close(epoll_);
  }
}

const std::string& HttpWorker::pick_account() {
  const bool hot =
      std::uniform_real_distribution<double>(0, 1)(random_) < options_.hot_selection_rate;
  const uint64_t range = hot ? hot_accounts_ : accounts_.size();
  return accounts_[random_() % range];
}

int64_t HttpWorker::pick_amount() {
  const auto span = static_cast<uint64_t>(options_.max_amount - options_.min_amount) + 1;
  return options_.min_amount + static_cast<int64_t>(random_() % span);
}

size_t HttpWorker::in_flight() const {
  size_t total = 0;
  for (const auto& link : links_) {
    total += link->in_flight.size();
  }
  return total;
}

void HttpWorker::connect_all() {
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) {
    fail("epoll_create1");
  }
  for (auto& link : links_) {
    link->connection.connect();
    epoll_event event{.events = EPOLLIN, .data = {.ptr = link.get()}};
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, link->connection.descriptor(), &event) != 0) {
      fail("epoll_ctl");
    }
  }
}

void HttpWorker::send_deposit(Link& link, Clock::time_point due) {
  const int64_t amount = pick_amount();
  requests_.append_deposit(link.connection.output(), pick_account(), amount);
  link.in_flight.push_back(InFlight{.due = due, .amount = amount});
}

void HttpWorker::flush(Link& link) {
  const bool written = link.connection.flush();
  if (written == !link.waiting_to_write) {
    return;  // registered as it should be
  }
  link.waiting_to_write = !written;
  epoll_event event{.events = written ? uint32_t{EPOLLIN} : uint32_t{EPOLLIN | EPOLLOUT},
                    .data = {.ptr = &link}};
  if (::epoll_ctl(epoll_, EPOLL_CTL_MOD, link.connection.descriptor(), &event) != 0) {
    fail("epoll_ctl");
  }
}

void HttpWorker::account_for(const HttpResponse& answer, const InFlight& sent,
                             Clock::time_point now) {
  tally_.latency.record(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now - sent.due).count()));
  ++tally_.requests;
  if (answer.status < 200 || answer.status > 299) {
    if (tally_.http_errors++ == 0) {
      tally_.first_http_error = std::to_string(answer.status) + " " +
                                std::string(answer.body.substr(0, kErrorBodyBytesMax));
    }
    live_.refused.fetch_add(1, std::memory_order_relaxed);
    if (answer.body.find(kRejectedCommand) != std::string_view::npos) {
      // The engine applied the deposit as rejected (and counted it): a command with its code.
      ++tally_.commands;
      ++tally_.results_by_code[unsigned_field(answer.body, "code") % net::kResultCodeSlots];
      live_.commands.fetch_add(1, std::memory_order_relaxed);
    }
    return;
  }
  ++tally_.commands;
  ++tally_.results_by_code[static_cast<size_t>(ResultCode::Ok)];
  tally_.money_in += static_cast<uint64_t>(sent.amount);
  tally_.last_sequence = std::max(tally_.last_sequence, unsigned_field(answer.body, "sequence"));
  live_.commands.fetch_add(1, std::memory_order_relaxed);
}

void HttpWorker::take_answers(Link& link) {
  if (!link.connection.read()) {
    return;
  }
  // Answers read together arrived together: one clock reading for all of them.
  const Clock::time_point now = Clock::now();
  HttpResponse answer;
  uint64_t answered = 0;
  while (link.connection.next(answer)) {
    if (link.in_flight.empty()) {
      throw ClientError(ClientError::Kind::kProtocol, "an HTTP answer (status " +
                                                          std::to_string(answer.status) +
                                                          ") with no request in flight");
    }
    account_for(answer, link.in_flight.front(), now);
    link.in_flight.pop_front();
    ++answered;
  }
  live_.requests.fetch_add(answered, std::memory_order_relaxed);
}

void HttpWorker::poll(std::chrono::nanoseconds timeout, bool top_up) {
  std::array<epoll_event, 64> events;
  timeout = std::max(timeout, std::chrono::nanoseconds(0));
  const timespec limit{.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000'000),
                       .tv_nsec = static_cast<long>(timeout.count() % 1'000'000'000)};
  const int ready =
      ::epoll_pwait2(epoll_, events.data(), static_cast<int>(events.size()), &limit, nullptr);
  if (ready < 0) {
    if (errno == EINTR) {
      return;
    }
    fail("epoll_pwait2");
  }
  for (int index = 0; index < ready; ++index) {
    Link& link = *static_cast<Link*>(events[static_cast<size_t>(index)].data.ptr);
    if ((events[static_cast<size_t>(index)].events & EPOLLOUT) != 0) {
      flush(link);
    }
    take_answers(link);
    if (top_up) {
      while (link.in_flight.size() < options_.pipeline) {
        send_deposit(link, Clock::now());
      }
      flush(link);
    }
  }
}

void HttpWorker::run(Clock::time_point start, Clock::time_point end) {
  try {
    connect_all();
    const bool open_loop = options_.rate > 0;
    if (!open_loop) {
      for (auto& link : links_) {
        while (link->in_flight.size() < options_.pipeline) {
          send_deposit(*link, Clock::now());
        }
        flush(*link);
      }
      while (Clock::now() < end) {
        poll(std::chrono::milliseconds(50), true);
      }
    } else {
      // This worker's share of the rate (one deposit per request), sent to its connections in
      // turn: each gets rate / connections, as in the binary mode.
      const double share =
          options_.rate * static_cast<double>(links_.size()) / options_.connections;
      const auto interval = std::chrono::nanoseconds(static_cast<int64_t>(1e9 / share));
      // Stagger the workers' schedules so their sends do not bunch up.
      Clock::time_point next_due = start + interval * index_ / workers_;
      size_t turn = 0;
      while (Clock::now() < end) {
        const Clock::time_point now = Clock::now();
        while (next_due <= now && next_due < end) {
          Link& link = *links_[turn];
          if (link.in_flight.size() >= kOpenLoopInFlightMax) {
            break;
          }
          turn = (turn + 1) % links_.size();
          if (now - next_due > std::chrono::milliseconds(1)) {
            ++tally_.late_sends;
          }
          send_deposit(link, next_due);
          next_due += interval;
        }
        for (auto& link : links_) {
          flush(*link);
        }
        poll(std::min<std::chrono::nanoseconds>(next_due - now, std::chrono::milliseconds(50)),
             false);
      }
    }
    const Clock::time_point drain_end = Clock::now() + std::chrono::seconds(30);
    while (in_flight() > 0 && Clock::now() < drain_end) {
      poll(std::chrono::milliseconds(100), false);
    }
    if (const size_t left = in_flight(); left > 0) {
      tally_.failure = std::to_string(left) + " HTTP requests unanswered after 30 s";
    }
  } catch (const ClientError& error) {
    tally_.failure = error.what();
  }
}

}  // namespace tally::load
