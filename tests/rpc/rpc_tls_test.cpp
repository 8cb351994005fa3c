// TLS and mutual TLS over real sockets: HTTP/1.1 and HTTP/2 (ALPN), client certificates none,
// optional and required, the peer certificate and identity a handler sees, bad TLS files.

#include <chrono>
#include <mutex>
#include <optional>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include <powermanage/rpc/client.hpp>
#include <powermanage/rpc/server.hpp>

#include "rpc_test_support.hpp"
#include "support/test_pki.hpp"

namespace pm::testing {
namespace {

using namespace std::chrono_literals;
using rpc::Code;
using rpc::Status;
using test::v1::EchoResponse;
using ClientAuth = rpc::TlsOptions::ClientAuth;

// Certificates are made once for the file: key generation is the slow part.
const TestPki& pki() {
    static const TestPki instance("01HZX3K5V8M2Q4R6T8W0Y2A4C6");
    return instance;
}

class TlsTest : public ::testing::Test {
protected:
    // Interceptors write into members: stop the server before they go.
    void TearDown() override {
        if (server_) {
            server_->stop();
        }
    }

    void start(
        ClientAuth auth, std::function<std::string(const rpc::PeerCertificate&)> mapper =
                             [](const rpc::PeerCertificate& cert) { return cert.subject_cn; }) {
        auto options = test_server_options();
        rpc::TlsOptions tls;
        tls.certificate_file = pki().server_cert_file();
        tls.private_key_file = pki().server_key_file();
        tls.client_ca_file = pki().ca_file();
        tls.client_auth = auth;
        tls.identity_mapper = std::move(mapper);
        options.tls = std::move(tls);
        server_ = std::make_unique<rpc::Server>(std::move(options));
        add_echo_service(*server_);
        server_->add_interceptor([this](rpc::CallContext& ctx) -> rpc::Task<Status> {
            std::lock_guard lock(mutex_);
            seen_certificate_ = ctx.peer_certificate;
            seen_secure_ = ctx.secure;
            co_return Status{};
        });
        server_->start();
    }

    // A client trusting `ca`, presenting `cert`/`key` if given.
    rpc::Client client(bool http2, const std::string& cert = {}, const std::string& key = {},
                       std::string ca = {}, std::chrono::milliseconds timeout = 2s) {
        rpc::ClientOptions options;
        options.base_url = "https://127.0.0.1:" + std::to_string(server_->port());
        options.http2 = http2;
        options.ca_file = ca.empty() ? pki().ca_file() : ca;
        options.certificate_file = cert;
        options.private_key_file = key;
        options.timeout = timeout;
        return rpc::Client(io_.get_executor(), std::move(options));
    }

    // TLS 1.3: the client's handshake completes before the server checks its certificate, so
    // the refusal (the server's alert and close) shows at the first read. Both HTTP versions
    // must report it at once as unavailable (or unauthenticated), not run into the deadline:
    // the calls get a long timeout so that waiting for it cannot pass for a prompt failure.
    void expect_prompt_refusal(bool http2, const std::string& cert = {},
                               const std::string& key = {}) {
        SCOPED_TRACE(http2 ? "HTTP/2" : "HTTP/1.1");
        auto c = client(http2, cert, key, {}, kRefusalTimeout);
        EchoResponse response;
        const auto started = std::chrono::steady_clock::now();
        const auto status = call(c, "refused", response);
        const auto elapsed = std::chrono::steady_clock::now() - started;
        EXPECT_TRUE(status.code == Code::unavailable || status.code == Code::unauthenticated)
            << rpc::code_name(status.code) << ": " << status.message;
        EXPECT_LT(elapsed, kPrompt)
            << "the refusal took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms";
        EXPECT_TRUE(response.message().empty());
    }

    static constexpr auto kRefusalTimeout = std::chrono::milliseconds(20000);
    static constexpr auto kPrompt = std::chrono::milliseconds(5000);

    Status call(rpc::Client& c, const std::string& message, EchoResponse& response) {
        return run_on(io_, c.unary(kEchoUnary, echo_request(message), response));
    }

    boost::asio::io_context io_;
    std::unique_ptr<rpc::Server> server_;
    std::mutex mutex_;
    std::optional<rpc::PeerCertificate> seen_certificate_;
    bool seen_secure_ = false;
};

TEST_F(TlsTest, UnaryOverHttp1AndHttp2) {
    start(ClientAuth::none);
    for (const bool http2 : {false, true}) {
        auto c = client(http2);
        EchoResponse response;
        ASSERT_EQ(call(c, "secure hello", response), Status{}) << "http2=" << http2;
        EXPECT_EQ(response.message(), "secure hello");
        EXPECT_EQ(c.last_response_headers().get("strict-transport-security"),
                  "max-age=31536000; includeSubDomains");
        std::lock_guard lock(mutex_);
        EXPECT_TRUE(seen_secure_);
        EXPECT_FALSE(seen_certificate_.has_value());
    }
}

TEST_F(TlsTest, ClientRefusesAServerFromAnUntrustedCa) {
    start(ClientAuth::none);
    auto c = client(false, {}, {}, pki().other_ca_file());
    EchoResponse response;
    const auto status = call(c, "x", response);
    EXPECT_EQ(status.code, Code::unavailable);
    EXPECT_NE(status.message.find("TLS handshake"), std::string::npos) << status.message;
}

TEST_F(TlsTest, RequiredClientCertificateMissingIsRefused) {
    start(ClientAuth::required);
    for (const bool http2 : {false, true}) {
        expect_prompt_refusal(http2);
    }
}

TEST_F(TlsTest, RequiredClientCertificateFromAnotherCaIsRefused) {
    start(ClientAuth::required);
    for (const bool http2 : {false, true}) {
        expect_prompt_refusal(http2, pki().stranger_cert_file(), pki().stranger_key_file());
    }
}

TEST_F(TlsTest, RequiredClientCertificateMissingEndsAStreamPromptly) {
    start(ClientAuth::required);
    auto c = client(true, {}, {}, {}, kRefusalTimeout);
    const auto started = std::chrono::steady_clock::now();
    const auto status = run_on(io_, [&]() -> rpc::Task<Status> {
        auto stream = co_await c.stream(kEchoBidi);
        co_await stream->write(echo_request("refused"));
        EchoResponse response;
        while (co_await stream->read(response)) {
        }
        co_return stream->finish();
    }());
    EXPECT_EQ(status.code, Code::unavailable) << status.message;
    EXPECT_LT(std::chrono::steady_clock::now() - started, kPrompt);
}

TEST_F(TlsTest, RequiredClientCertificateGivesThePeerIdentity) {
    start(ClientAuth::required);
    for (const bool http2 : {false, true}) {
        auto c = client(http2, pki().client_cert_file(), pki().client_key_file());
        EchoResponse response;
        ASSERT_EQ(call(c, "whoami", response), Status{}) << "http2=" << http2;
        EXPECT_EQ(response.message(), pki().client_cn());
    }
    std::lock_guard lock(mutex_);
    ASSERT_TRUE(seen_certificate_.has_value());
    EXPECT_EQ(seen_certificate_->subject_cn, pki().client_cn());
    EXPECT_TRUE(std::regex_match(seen_certificate_->serial_hex, std::regex("[0-9A-F]+")));
    EXPECT_TRUE(
        std::regex_match(seen_certificate_->sha256_fingerprint, std::regex("[0-9a-f]{64}")));
    EXPECT_TRUE(seen_certificate_->pem.starts_with("-----BEGIN CERTIFICATE-----"));
}

TEST_F(TlsTest, OptionalClientCertificate) {
    start(ClientAuth::optional);
    auto anonymous = client(false);
    EchoResponse response;
    ASSERT_EQ(call(anonymous, "whoami", response), Status{});
    EXPECT_EQ(response.message(), "");
    auto known = client(false, pki().client_cert_file(), pki().client_key_file());
    ASSERT_EQ(call(known, "whoami", response), Status{});
    EXPECT_EQ(response.message(), pki().client_cn());
    auto stranger = client(false, pki().stranger_cert_file(), pki().stranger_key_file());
    EXPECT_EQ(call(stranger, "whoami", response).code, Code::unavailable);
}

TEST_F(TlsTest, CertificateTheMapperRejectsIsUnauthenticated) {
    start(ClientAuth::required, [](const rpc::PeerCertificate&) { return std::string(); });
    auto c = client(false, pki().client_cert_file(), pki().client_key_file());
    EchoResponse response;
    EXPECT_EQ(call(c, "whoami", response).code, Code::unauthenticated);
}

TEST_F(TlsTest, UnusableTlsFilesAreNamed) {
    auto options = test_server_options();
    rpc::TlsOptions tls;
    tls.certificate_file = "/nonexistent/server.pem";
    tls.private_key_file = pki().server_key_file();
    options.tls = tls;
    rpc::Server server(options);
    try {
        server.start();
        FAIL() << "start() accepted a missing certificate";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("/nonexistent/server.pem"), std::string::npos)
            << error.what();
    }
    // A key that does not belong to the certificate.
    options.tls->certificate_file = pki().server_cert_file();
    options.tls->private_key_file = pki().client_key_file();
    rpc::Server mismatched(options);
    EXPECT_THROW(mismatched.start(), std::runtime_error);
}

}  // namespace
}  // namespace pm::testing
