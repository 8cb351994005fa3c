#pragma once

// A running ControlHost on a private database, and a client that calls it as admin, as a
// console user, or anonymously. Every call goes over real HTTP (h2c by default).

#include <filesystem>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include <powermanage/auth/jwt.hpp>
#include <powermanage/ca/request.hpp>
#include <powermanage/common/log.hpp>
#include <powermanage/control/control_host.hpp>
#include <powermanage/db/connection.hpp>
#include <powermanage/rpc/client.hpp>

#include "pm/v1/control.pb.h"
#include "support/migrated_database.hpp"

namespace pm::testing {

/// The answer to one call.
template <class Response>
struct Reply {
    rpc::Status status;
    Response response;
    rpc::Headers headers;  ///< response headers (set-cookie)
    bool ok() const { return status.ok(); }
};

class ControlTest : public MigratedDatabaseTest {
protected:
    static constexpr const char* kAdminEmail = "admin@example.com";
    static constexpr const char* kAdminPassword = "correct horse battery";
    static constexpr const char* kJwtSecret = "0123456789abcdef0123456789abcdef-test";

    void SetUp() override;
    void TearDown() override;

    /// Options the host starts with; tests may change them in their own SetUp before
    /// start_host().
    control::ControlHostOptions host_options();
    /// Starts the host (SetUp does it with host_options()).
    void start_host(control::ControlHostOptions options);

    /// Calls `method` (short name) with `bearer` as the access token (none if empty).
    template <class Response, class Request>
    Reply<Response> call(const std::string& method, const Request& request,
                         const std::string& bearer = {}, const rpc::Headers& extra = {});

    /// Logs in and returns the access token (fails the test if it cannot).
    std::string login(const std::string& email, const std::string& password);
    /// The bootstrap admin's access token.
    const std::string& admin_token();
    /// Creates a console user (as the admin) and returns its id.
    std::string create_user(const std::string& email, const std::string& password,
                            const std::string& role = "user");
    /// Creates a registration token as the caller; returns {id, value}.
    std::pair<std::string, std::string> create_token(const std::string& bearer,
                                                     bool one_time = false, int max_uses = 0);
    /// Registers a device with `token_value` (a fresh ECDSA P-256 key); returns the reply.
    Reply<pm::v1::RegisterResponse> register_device(const std::string& token_value,
                                                    const std::string& hostname = "host-1");
    /// Registers with a CSR of `key_type`; the key is returned in `key_pem` if given.
    Reply<pm::v1::RegisterResponse> register_device(const std::string& token_value,
                                                    const std::string& hostname,
                                                    ca::RequestKeyType key_type,
                                                    std::string* key_pem = nullptr);
    /// Registers a device with a fresh admin token and returns its id.
    std::string new_device(const std::string& hostname = "host-1");

    /// `call` on another client (HTTP/1.1, JSON, ...).
    template <class Response, class Request>
    Reply<Response> call_on(rpc::Client& client, const std::string& method, const Request& request,
                            const std::string& bearer = {}, const rpc::Headers& extra = {});
    /// A client of the host, made on io_.
    std::unique_ptr<rpc::Client> make_client(bool http2, rpc::Codec codec = rpc::Codec::proto);
    /// Calls `method` once per request, all at once on the HTTP/2 client (one stream each);
    /// returns the statuses in request order.
    template <class Response, class Request>
    std::vector<rpc::Status> call_concurrently(const std::string& method,
                                               const std::vector<Request>& requests);

    /// Signs `claims` with the host's secret (tokens the host never issued: expired, device).
    static std::string sign(const auth::Claims& claims);
    /// The claims of a token the host issued (fails the test if it does not verify).
    static auth::Claims claims_of(const std::string& token,
                                  auth::TokenType type = auth::TokenType::access);
    /// A device-role access token for `device_id`, as the verifier accepts without a session.
    static std::string device_token(const std::string& device_id);
    /// Runs `sql` on the test database as its owner (bypassing the service).
    db::Result sql(const std::string& statement, const std::vector<db::Param>& params = {});
    /// The set-cookie values of a response.
    static std::vector<std::string> set_cookies(const rpc::Headers& headers);

    std::filesystem::path dir_;  ///< per-test files (CA)
    std::unique_ptr<control::ControlHost> host_;
    boost::asio::io_context io_;
    std::unique_ptr<rpc::Client> client_;
    std::string admin_token_;
};

/// Request headers from a list of (name, value).
inline rpc::Headers headers_of(std::initializer_list<std::pair<std::string, std::string>> fields) {
    rpc::Headers out;
    for (const auto& [name, value] : fields) {
        out.add(name, value);
    }
    return out;
}

/// Expects a reply's code, showing the codes by name and the server's message on failure.
#define EXPECT_CODE(reply, expected)                                                     \
    EXPECT_EQ(::pm::rpc::code_name((reply).status.code), ::pm::rpc::code_name(expected)) \
        << (reply).status.message
/// Asserts that a reply succeeded.
#define ASSERT_OK(reply) ASSERT_TRUE((reply).ok()) << (reply).status.message
/// Expects that a reply succeeded.
#define EXPECT_OK(reply) EXPECT_TRUE((reply).ok()) << (reply).status.message

}  // namespace pm::testing

#include "control_fixture_impl.hpp"
