// HttpRequests: the bytes of the HTTP/1.1 requests tally-load's HTTP mode sends, formatted
// without a JSON library: fixed text with the account id and the amounts spliced in, so a
// deposit costs a few copies and two number conversions. The account ids must need no
// escaping in a URL path or a JSON string (LoadOptions::validate checks the prefix; the rest
// is digits).
//
//   POST /api/accounts/{id}/deposits   {"amount":N}                        (200 expected)
//   POST /api/accounts                 {"accountId":..,"ownerId":"tally-load",
//                                       "currency":..,"initialDeposit":N}  (201 expected)
//
// Keep-alive is HTTP/1.1's default, so no Connection header is sent.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tally::load {

class HttpRequests {
 public:
  // `host`, `port`: the Host header's value.
  HttpRequests(std::string_view host, uint16_t port);

  // Appends one deposit of `amount` (minor units) to `account` to `out`.
  void append_deposit(std::string& out, std::string_view account, int64_t amount) const;
  // Appends the opening of `account` with `initial_deposit` to `out`.
  void append_open_account(std::string& out, std::string_view account, std::string_view currency,
                           int64_t initial_deposit) const;

 private:
  // Everything between "/deposits" and the Content-Length value.
  std::string deposit_middle_;
  // " HTTP/1.1" and the headers of an opening, up to the Content-Length value.
  std::string open_head_;
};

// True if `text` can be an account id in these requests as it is: ASCII letters, digits and
// "-._~" only.
bool plain_account_text(std::string_view text);

}  // namespace tally::load
