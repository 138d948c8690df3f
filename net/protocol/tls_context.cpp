#include "net/protocol/tls_context.h"

namespace tally::net {
namespace {

namespace ssl = boost::asio::ssl;

std::shared_ptr<ssl::context> modern_context(ssl::context::method method) {
  auto context = std::make_shared<ssl::context>(method);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::no_compression);
  return context;
}

Status invalid(const std::string& what, const std::string& file,
               const boost::system::error_code& error) {
  return Status::invalid_argument(what + " " + file + ": " + error.message());
}

}  // namespace

Result<std::shared_ptr<ssl::context>> make_server_tls_context(const std::string& certificate_file,
                                                              const std::string& key_file) {
  auto context = modern_context(ssl::context::tls_server);
  boost::system::error_code error;
  context->use_certificate_chain_file(certificate_file, error);
  if (error) {
    return invalid("cannot use the TLS certificate", certificate_file, error);
  }
  context->use_private_key_file(key_file, ssl::context::pem, error);
  if (error) {
    return invalid("cannot use the TLS key", key_file, error);
  }
  return context;
}

Result<std::shared_ptr<ssl::context>> make_client_tls_context(const std::string& ca_file) {
  auto context = modern_context(ssl::context::tls_client);
  boost::system::error_code error;
  context->load_verify_file(ca_file, error);
  if (error) {
    return invalid("cannot use the CA file", ca_file, error);
  }
  context->set_verify_mode(ssl::verify_peer);
  return context;
}

}  // namespace tally::net
