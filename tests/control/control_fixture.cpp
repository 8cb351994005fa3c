#include "control_fixture.hpp"

#include <gtest/gtest.h>

#include <powermanage/ca/request.hpp>
#include <powermanage/common/ulid.hpp>

namespace pm::testing {

control::ControlHostOptions ControlTest::host_options() {
    control::ControlHostOptions o;
    o.listen_address = "127.0.0.1:0";
    o.database_url = database_url();
    o.database_connections = 8;
    o.jwt_secret = kJwtSecret;
    o.ca_certificate_file = (dir_ / "ca.crt").string();
    o.ca_key_file = (dir_ / "ca.key").string();
    o.development = true;
    o.admin_email = kAdminEmail;
    o.admin_password = kAdminPassword;
    o.io_threads = 2;
    o.shutdown_grace = std::chrono::seconds(5);
    o.control.gateway_url = "https://gateway.test:8080";
    o.control.worker_threads = 4;
    // Cheap hashes: the tests log in hundreds of times (the cost is measured in benchmarks).
    o.password_params = auth::PasswordParams{256, 1, 1};
    // Generous limits; the rate-limit tests set the real ones.
    rpc::RateLimitOptions limits;
    limits.other_methods = std::nullopt;
    o.rate_limits = limits;
    return o;
}

void ControlTest::SetUp() {
    MigratedDatabaseTest::SetUp();
    dir_ = std::filesystem::temp_directory_path() / ("pm-control-test-" + new_ulid());
    std::filesystem::create_directories(dir_);
    start_host(host_options());
}

void ControlTest::start_host(control::ControlHostOptions options) {
    client_.reset();
    if (host_) {
        host_->stop();
        host_.reset();
    }
    static Logger quiet([](std::string_view) {}, LogLevel::error);
    host_ = std::make_unique<control::ControlHost>(std::move(options), quiet);
    host_->start();
    rpc::ClientOptions client;
    client.base_url = "http://127.0.0.1:" + std::to_string(host_->port());
    client.http2 = true;
    client_ = std::make_unique<rpc::Client>(io_.get_executor(), client);
    admin_token_.clear();
}

void ControlTest::TearDown() {
    client_.reset();
    if (host_) {
        host_->stop();
        host_.reset();
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    MigratedDatabaseTest::TearDown();
}

std::string ControlTest::login(const std::string& email, const std::string& password) {
    pm::v1::LoginRequest request;
    request.set_email(email);
    request.set_password(password);
    auto reply = call<pm::v1::LoginResponse>("Login", request);
    EXPECT_TRUE(reply.ok()) << reply.status.message;
    return reply.response.access_token();
}

const std::string& ControlTest::admin_token() {
    if (admin_token_.empty()) {
        admin_token_ = login(kAdminEmail, kAdminPassword);
    }
    return admin_token_;
}

std::string ControlTest::create_user(const std::string& email, const std::string& password,
                                     const std::string& role) {
    pm::v1::CreateUserRequest request;
    request.set_email(email);
    request.set_password(password);
    request.set_role(role);
    auto reply = call<pm::v1::CreateUserResponse>("CreateUser", request, admin_token());
    EXPECT_TRUE(reply.ok()) << reply.status.message;
    return reply.response.user().id();
}

std::pair<std::string, std::string> ControlTest::create_token(const std::string& bearer,
                                                              bool one_time, int max_uses) {
    pm::v1::CreateTokenRequest request;
    request.set_name("token " + new_ulid());
    request.set_one_time(one_time);
    request.set_max_uses(max_uses);
    auto reply = call<pm::v1::CreateTokenResponse>("CreateToken", request, bearer);
    EXPECT_TRUE(reply.ok()) << reply.status.message;
    return {reply.response.token().id(), reply.response.token().value()};
}

Reply<pm::v1::RegisterResponse> ControlTest::register_device(const std::string& token_value,
                                                             const std::string& hostname) {
    return register_device(token_value, hostname, ca::RequestKeyType::ecdsa_p256);
}

Reply<pm::v1::RegisterResponse> ControlTest::register_device(const std::string& token_value,
                                                             const std::string& hostname,
                                                             ca::RequestKeyType key_type,
                                                             std::string* key_pem) {
    auto request_pair = ca::make_agent_request(hostname, key_type);
    if (key_pem != nullptr) {
        *key_pem = request_pair.private_key_pem;
    }
    pm::v1::RegisterRequest request;
    request.set_token(token_value);
    request.set_hostname(hostname);
    request.set_agent_version("2026.02.0");
    request.set_csr(request_pair.csr_pem);
    return call<pm::v1::RegisterResponse>("Register", request);
}

std::string ControlTest::new_device(const std::string& hostname) {
    auto registered = register_device(create_token(admin_token()).second, hostname);
    EXPECT_TRUE(registered.ok()) << registered.status.message;
    return registered.response.device_id().value();
}

std::unique_ptr<rpc::Client> ControlTest::make_client(bool http2, rpc::Codec codec) {
    rpc::ClientOptions options;
    options.base_url = "http://127.0.0.1:" + std::to_string(host_->port());
    options.http2 = http2;
    options.codec = codec;
    return std::make_unique<rpc::Client>(io_.get_executor(), options);
}

std::string ControlTest::sign(const auth::Claims& claims) {
    return auth::JwtCodec(kJwtSecret).sign(claims);
}

auth::Claims ControlTest::claims_of(const std::string& token, auth::TokenType type) {
    auto verified =
        auth::JwtCodec(kJwtSecret).verify(token, type, std::chrono::system_clock::now());
    EXPECT_TRUE(verified.ok()) << auth::to_string(verified.error);
    return verified.ok() ? *verified.claims : auth::Claims{};
}

std::string ControlTest::device_token(const std::string& device_id) {
    auth::Claims claims;
    claims.jti = new_ulid();
    claims.user_id = device_id;
    claims.role = "device";
    claims.type = auth::TokenType::access;
    const auto now =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    claims.issued_at = now;
    claims.expires_at = now + std::chrono::minutes(15);
    return sign(claims);
}

db::Result ControlTest::sql(const std::string& statement, const std::vector<db::Param>& params) {
    db::Connection connection(database_url());
    return connection.exec(statement, params);
}

std::vector<std::string> ControlTest::set_cookies(const rpc::Headers& headers) {
    std::vector<std::string> out;
    for (const auto& [name, value] : headers.fields()) {
        if (name == "set-cookie") {
            out.push_back(value);
        }
    }
    return out;
}

}  // namespace pm::testing
