#pragma once

// A running ControlHost on a private database, and a client that calls it as admin, as a
// console user, or anonymously. Every call goes over real HTTP (h2c by default).

#include <filesystem>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include <powermanage/common/log.hpp>
#include <powermanage/control/control_host.hpp>
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

    std::filesystem::path dir_;  ///< per-test files (CA)
    std::unique_ptr<control::ControlHost> host_;
    boost::asio::io_context io_;
    std::unique_ptr<rpc::Client> client_;
    std::string admin_token_;
};

}  // namespace pm::testing

#include "control_fixture_impl.hpp"
