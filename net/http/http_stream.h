// HttpStream: an HTTP connection's byte stream, plain TCP or TLS over it (tallyd --tls-cert;
// net/protocol/plain_or_tls_stream.h), as one type Boost.Beast can read and write. Its plain
// layer is a beast::tcp_stream, whose timeouts bound every read, write and handshake.
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include "net/protocol/plain_or_tls_stream.h"

namespace tally::net::http {

using HttpStream =
    PlainOrTlsStream<boost::beast::tcp_stream, boost::beast::ssl_stream<boost::beast::tcp_stream>>;

}  // namespace tally::net::http
