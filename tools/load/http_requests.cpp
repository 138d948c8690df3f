#include "tools/load/http_requests.h"

#include <charconv>

namespace tally::load {
namespace {

constexpr std::string_view kDepositStart = "POST /api/accounts/";
constexpr std::string_view kDepositBodyStart = "{\"amount\":";

void append_number(std::string& out, int64_t value) {
  char digits[24];
  const auto [end, error] = std::to_chars(digits, digits + sizeof(digits), value);
  out.append(digits, end);
}

size_t digit_count(int64_t value) {
  char digits[24];
  return static_cast<size_t>(std::to_chars(digits, digits + sizeof(digits), value).ptr - digits);
}

}  // namespace

HttpRequests::HttpRequests(std::string_view host, uint16_t port) {
  std::string headers = " HTTP/1.1\r\nHost: ";
  headers.append(host).append(":").append(std::to_string(port));
  headers.append("\r\nContent-Type: application/json\r\nContent-Length: ");
  deposit_middle_ = "/deposits" + headers;
  open_head_ = "POST /api/accounts" + headers;
}

void HttpRequests::append_deposit(std::string& out, std::string_view account,
                                  int64_t amount) const {
  out.append(kDepositStart).append(account).append(deposit_middle_);
  append_number(out, static_cast<int64_t>(kDepositBodyStart.size() + digit_count(amount) + 1));
  out.append("\r\n\r\n").append(kDepositBodyStart);
  append_number(out, amount);
  out.push_back('}');
}

void HttpRequests::append_open_account(std::string& out, std::string_view account,
                                       std::string_view currency, int64_t initial_deposit) const {
  std::string body = "{\"accountId\":\"";
  body.append(account).append("\",\"ownerId\":\"tally-load\",\"currency\":\"");
  body.append(currency).append("\",\"initialDeposit\":");
  append_number(body, initial_deposit);
  body.push_back('}');
  out.append(open_head_);
  append_number(out, static_cast<int64_t>(body.size()));
  out.append("\r\n\r\n").append(body);
}

bool plain_account_text(std::string_view text) {
  for (const char character : text) {
    const bool plain = (character >= 'a' && character <= 'z') ||
                       (character >= 'A' && character <= 'Z') ||
                       (character >= '0' && character <= '9') || character == '-' ||
                       character == '.' || character == '_' || character == '~';
    if (!plain) {
      return false;
    }
  }
  return true;
}

}  // namespace tally::load
