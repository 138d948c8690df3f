// docs/openapi.json against the server: every route the server serves is in the document and
// every route in the document is served (HttpApiDocumentTest.*Routes*), and each documented
// operation, sent with its documented example to the real tallyd by the real curl, answers a
// documented status with a body that has the documented schema's required fields.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "net/http/http_routes.h"
#include "support/program_run.h"
#include "support/tallyd_process.h"

namespace tally {
namespace {

namespace json = boost::json;

json::object load_document() {
  std::ifstream file(std::string(TALLY_SOURCE_DIR) + "/docs/openapi.json");
  std::stringstream text;
  text << file.rdbuf();
  boost::system::error_code error;
  json::value document = json::parse(text.str(), error);
  EXPECT_FALSE(error) << "docs/openapi.json is not JSON: " << error.message();
  return document.is_object() ? document.as_object() : json::object{};
}

std::string upper(std::string_view text) {
  std::string result(text);
  for (char& character : result) {
    character = static_cast<char>(std::toupper(static_cast<unsigned char>(character)));
  }
  return result;
}

std::string with_account(std::string path, const std::string& account) {
  const std::string placeholder = "{accountId}";
  if (const size_t at = path.find(placeholder); at != std::string::npos) {
    path.replace(at, placeholder.size(), account);
  }
  return path;
}

std::set<std::string> documented_operations(const json::object& document) {
  std::set<std::string> operations;
  for (const auto& [path, item] : document.at("paths").as_object()) {
    for (const auto& [method, operation] : item.as_object()) {
      operations.insert(upper(method) + " " + std::string(path));
    }
  }
  return operations;
}

TEST(HttpApiDocumentTest, EveryServedRouteIsDocumentedAndEveryDocumentedRouteServed) {
  const std::set<std::string> documented = documented_operations(load_document());
  std::set<std::string> served;
  for (const net::http::RouteTemplate& route : net::http::served_routes()) {
    served.insert(std::string(route.method) + " " + route.path);
    // And the router takes it: neither 404 nor 405.
    net::http::HttpRequest request{boost::beast::http::string_to_verb(route.method),
                                   with_account(route.path, "a"), 11};
    const auto routed = net::http::route_request(request, Id128{.low = 1, .high = 1});
    if (const auto* refusal = std::get_if<net::http::HttpRefusal>(&routed)) {
      EXPECT_NE(refusal->status, 404u) << route.method << " " << route.path;
      EXPECT_NE(refusal->status, 405u) << route.method << " " << route.path;
    }
  }
  EXPECT_EQ(served, documented);
}

// The schema `reference` names, with allOf's parts merged: its required fields.
std::set<std::string> required_fields(const json::object& document, const json::value& schema) {
  std::set<std::string> fields;
  const json::object* object = &schema.as_object();
  if (const json::value* reference = object->if_contains("$ref")) {
    const std::string name(reference->as_string());
    object =
        &document.at("components").at("schemas").at(name.substr(name.rfind('/') + 1)).as_object();
  }
  if (const json::value* parts = object->if_contains("allOf")) {
    for (const json::value& part : parts->as_array()) {
      const std::set<std::string> more = required_fields(document, part);
      fields.insert(more.begin(), more.end());
    }
  }
  if (const json::value* required = object->if_contains("required")) {
    for (const json::value& field : required->as_array()) {
      fields.insert(std::string(field.as_string()));
    }
  }
  return fields;
}

std::string quoted(const std::string& text) {
  std::string result = "'";
  for (const char character : text) {
    result += character == '\'' ? std::string("'\\''") : std::string(1, character);
  }
  return result + "'";
}

// A stream (server-sent events) has no end: curl reads it for a second, then reports.
bool streams(const json::object& operation) {
  const json::value* ok = operation.at("responses").as_object().if_contains("200");
  const json::value* content = ok == nullptr ? nullptr : ok->as_object().if_contains("content");
  return content != nullptr && content->as_object().contains("text/event-stream");
}

TEST(HttpApiDocumentTest, EveryDocumentedOperationAnswersAsDocumented) {
  const json::object document = load_document();
  const std::string data = testing::make_temporary_directory("http-doc-test");
  testing::TallydProcess server(data + "/data");
  const std::string base = "http://127.0.0.1:" + std::to_string(server.http_port());
  const auto curl = [&](const std::string& method, const std::string& path, const std::string& body,
                        int seconds = 20) {
    std::string command = "curl -s -S --max-time " + std::to_string(seconds) + " -X " + method;
    if (!body.empty()) {
      command += " -H 'Content-Type: application/json' --data-binary " + quoted(body);
    }
    command += " -w '\\n%{http_code}' " + quoted(base + path);
    return testing::run_program(command, testing::Capture::kStandardOutput).output;
  };
  // The accounts the examples name.
  curl("POST", "/api/accounts", R"({"accountId":"doc-1","currency":"USD","initialDeposit":5000})");
  curl("POST", "/api/accounts", R"({"accountId":"doc-2","currency":"USD"})");

  for (const auto& [path, item] : document.at("paths").as_object()) {
    for (const auto& [method, operation_value] : item.as_object()) {
      const json::object& operation = operation_value.as_object();
      SCOPED_TRACE(upper(method) + " " + std::string(path));
      std::string body;
      if (const json::value* request_body = operation.if_contains("requestBody")) {
        body = json::serialize(request_body->at("content").at("application/json").at("example"));
      }
      const std::string output = curl(upper(method), with_account(std::string(path), "doc-1"), body,
                                      streams(operation) ? 1 : 20);
      const size_t newline = output.rfind('\n');
      ASSERT_NE(newline, std::string::npos) << output;
      const std::string status = output.substr(newline + 1);
      const json::object& responses = operation.at("responses").as_object();
      ASSERT_TRUE(responses.contains(status)) << "undocumented status " << status << ": " << output;
      const json::value* content = responses.at(status).as_object().if_contains("content");
      if (content == nullptr || !content->as_object().contains("application/json")) {
        continue;
      }
      boost::system::error_code error;
      const json::value answer = json::parse(output.substr(0, newline), error);
      ASSERT_FALSE(error) << "not JSON: " << output;
      for (const std::string& field :
           required_fields(document, content->at("application/json").at("schema"))) {
        EXPECT_TRUE(answer.as_object().contains(field)) << field << " missing in " << output;
      }
    }
  }
  std::system(("rm -rf " + data).c_str());
}

}  // namespace
}  // namespace tally
