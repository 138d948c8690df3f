// append_response: the bytes of one answer, as HTTP/1.0 and 1.1 clients read them.
#include "net/http/http_response_text.h"

#include <gtest/gtest.h>

namespace tally::net::http {
namespace {

TEST(HttpResponseTextTest, AnAnswerIsStatusLineHeadersAndBody) {
  std::string out;
  HttpAnswer answer;
  answer.status = 201;
  answer.body = R"({"ok":true})";
  append_response(out, answer, {});
  EXPECT_EQ(out,
            "HTTP/1.1 201 Created\r\nServer: tallyd\r\nContent-Type: application/json\r\n"
            "Content-Length: 11\r\n\r\n{\"ok\":true}");
}

TEST(HttpResponseTextTest, AnswersAppendOneAfterAnotherForOneWrite) {
  std::string out;
  HttpAnswer first;
  first.body.assign(1, 'a');  // (not = "a": GCC 12 -Wrestrict false positive)
  HttpAnswer second;
  second.status = 404;
  second.body = "bc";
  append_response(out, first, {});
  append_response(out, second, {});
  const size_t split = out.find("HTTP/1.1 404 Not Found\r\n");
  ASSERT_NE(split, std::string::npos) << out;
  EXPECT_TRUE(out.substr(0, split).ends_with("Content-Length: 1\r\n\r\na"));
  EXPECT_TRUE(out.ends_with("Content-Length: 2\r\n\r\nbc"));
}

TEST(HttpResponseTextTest, ConnectionHeaderFollowsTheVersion) {
  HttpAnswer answer;
  std::string closing;
  append_response(closing, answer, {.version = 11, .keep_alive = false});
  EXPECT_NE(closing.find("Connection: close\r\n"), std::string::npos);
  std::string kept;
  append_response(kept, answer, {.version = 11, .keep_alive = true});
  EXPECT_EQ(kept.find("Connection:"), std::string::npos);
  std::string old_kept;
  append_response(old_kept, answer, {.version = 10, .keep_alive = true});
  EXPECT_TRUE(old_kept.starts_with("HTTP/1.0 200 OK\r\n"));
  EXPECT_NE(old_kept.find("Connection: keep-alive\r\n"), std::string::npos);
  std::string old_closing;
  append_response(old_closing, answer, {.version = 10, .keep_alive = false});
  EXPECT_EQ(old_closing.find("Connection:"), std::string::npos);
}

TEST(HttpResponseTextTest, StatusesCarryTheirHeaders) {
  HttpAnswer unauthorized;
  unauthorized.status = 401;
  std::string out;
  append_response(out, unauthorized, {});
  EXPECT_NE(out.find("WWW-Authenticate: Bearer realm=\"tally\"\r\n"), std::string::npos);
  for (const unsigned status : {429U, 503U}) {
    HttpAnswer busy;
    busy.status = status;
    out.clear();
    append_response(out, busy, {});
    EXPECT_NE(out.find("Retry-After: 1\r\n"), std::string::npos) << status;
  }
  HttpAnswer not_allowed;
  not_allowed.status = 405;
  not_allowed.allow = "GET";
  not_allowed.replayed = true;
  out.clear();
  append_response(out, not_allowed, {});
  EXPECT_NE(out.find("Allow: GET\r\n"), std::string::npos);
  EXPECT_NE(out.find("Idempotent-Replayed: true\r\n"), std::string::npos);
}

TEST(HttpResponseTextTest, AnAnswerToHeadHasItsLengthButNoBody) {
  HttpAnswer answer;
  answer.body = "twelve bytes";
  std::string out;
  append_response(out, answer, {.version = 11, .keep_alive = true, .head = true});
  EXPECT_TRUE(out.ends_with("Content-Length: 12\r\n\r\n")) << out;
}

}  // namespace
}  // namespace tally::net::http
