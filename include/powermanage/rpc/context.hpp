#pragma once

/// @file
/// @brief What a handler and the interceptors know about one call.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <powermanage/rpc/status.hpp>

namespace google::protobuf {
class MethodDescriptor;
}  // namespace google::protobuf

namespace pm::rpc {

/// HTTP header or trailer fields, names in lower case, in arrival order.
class Headers {
public:
    /// Adds a field (the name is lower-cased).
    void add(std::string name, std::string value);
    /// Replaces every field of that name with one.
    void set(std::string name, std::string value);
    /// Removes every field of that name (any case).
    void erase(std::string_view name);
    /// The first value of a field (the name in any case), or nullopt.
    std::optional<std::string_view> get(std::string_view name) const;
    /// Every (name, value) pair.
    const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

private:
    std::vector<std::pair<std::string, std::string>> fields_;
};

/// Which RPC protocol a call arrived in.
enum class Protocol { connect, grpc, grpc_web };
/// Which message encoding it uses.
enum class Codec { proto, json };

/// The verified client certificate of a TLS connection.
struct PeerCertificate {
    std::string subject_cn;          ///< the subject's common name
    std::string serial_hex;          ///< serial number, upper-case hex without leading zeros
    std::string sha256_fingerprint;  ///< SHA-256 of the DER, lower-case hex
    std::string pem;                 ///< the certificate
};

/// One call, as handlers and interceptors see it. Interceptors may fill `principal` and
/// `attributes`; handlers add response headers and trailers.
struct CallContext {
    const google::protobuf::MethodDescriptor* method = nullptr;  ///< the RPC
    Protocol protocol = Protocol::connect;                       ///< how it arrived
    Codec codec = Codec::proto;                                  ///< message encoding
    int http_version = 11;                                       ///< 11 or 20
    bool secure = false;                                         ///< over TLS
    std::string remote_address;                                  ///< peer "ip:port"
    std::optional<PeerCertificate> peer_certificate;             ///< verified client cert
    std::string peer_identity;  ///< what the server's identity mapper made of it
    Headers request_headers;    ///< as received (pseudo-headers excluded)
    Headers response_headers;   ///< sent with the response
    Headers response_trailers;  ///< sent at its end
    std::optional<std::chrono::steady_clock::time_point> deadline;  ///< from the timeout header
    std::string principal;                          ///< who is calling, once authenticated
    std::map<std::string, std::string> attributes;  ///< anything interceptors pass on
};

}  // namespace pm::rpc
