// TLS for tallyd's listeners (--tls-cert, --tls-key: PEM files) and for its clients (a CA file
// to verify the server with): OpenSSL contexts through Boost.Asio. TLS 1.2 and newer only.
// Here, beside the framing, because both sides of a connection use it.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "engine/base/result.h"

namespace tally::net {

// The server's context: its certificate chain and private key. kInvalidArgument naming the
// file and OpenSSL's reason when either cannot be loaded or they do not match.
Result<std::shared_ptr<boost::asio::ssl::context>> make_server_tls_context(
    const std::string& certificate_file, const std::string& key_file);

// A client's context: trusts the certificates in `ca_file` only, and verifies the server's.
Result<std::shared_ptr<boost::asio::ssl::context>> make_client_tls_context(
    const std::string& ca_file);

}  // namespace tally::net
