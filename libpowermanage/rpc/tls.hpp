#pragma once

// TLS set-up on OpenSSL through asio::ssl: the server context (certificate, minimum version,
// client-certificate policy, ALPN), the client context, and what a verified peer certificate
// says.

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ssl/context.hpp>

#include <powermanage/rpc/context.hpp>
#include <powermanage/rpc/server.hpp>

namespace pm::rpc::detail {

/// The server's context: certificate chain and key, TLS >= options.min_version, client
/// certificates per options.client_auth verified against options.client_ca_file, and ALPN
/// choosing "h2" when the client offers it, else "http/1.1". Throws std::runtime_error naming
/// the file that cannot be used.
boost::asio::ssl::context make_server_context(const TlsOptions& options);

/// What the client side needs: the CAs to trust (empty: the system's), an optional client
/// certificate and key, and the ALPN protocols to offer (e.g. {"h2"} or {"http/1.1"}). Throws
/// std::runtime_error naming the file that cannot be used.
boost::asio::ssl::context make_client_context(const std::string& ca_file,
                                              const std::string& certificate_file,
                                              const std::string& private_key_file,
                                              std::initializer_list<std::string_view> alpn);

/// The verified certificate the peer of `ssl` presented, or nullopt.
std::optional<PeerCertificate> peer_certificate(SSL* ssl);

/// The protocol ALPN selected on `ssl` ("h2", "http/1.1"), empty if none.
std::string selected_alpn(SSL* ssl);

}  // namespace pm::rpc::detail
