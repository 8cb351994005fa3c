// The certificate Register issues is one a gateway accepts: it completes a mutual-TLS
// handshake with a server that trusts the control plane's CA, the server sees the device id
// as the certificate's CN, and the serial it sees is the one recorded for the device (the
// serial DeleteDevice revokes).
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include <powermanage/ca/authority.hpp>
#include <powermanage/rpc/server.hpp>

#include "control_fixture.hpp"

namespace pm::testing {
namespace {

using namespace std::chrono_literals;
using rpc::Code;

void write_file(const std::filesystem::path& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary);
    out << content;
}

class MtlsTest : public ControlTest {
protected:
    void TearDown() override {
        if (gateway_) {
            gateway_->stop();
            gateway_.reset();
        }
        ControlTest::TearDown();
    }

    // A TLS echo server requiring client certificates of the host's CA, as a gateway would.
    void start_gateway() {
        const auto& authority = host_->authority();
        auto server = authority.issue_server_certificate({"localhost"}, {"127.0.0.1"}, 1h);
        write_file(dir_ / "ca-bundle.pem", authority.certificate_pem());
        write_file(dir_ / "server.crt", server.certificate.pem);
        write_file(dir_ / "server.key", server.private_key_pem);
        auto options = test_server_options();
        rpc::TlsOptions tls;
        tls.certificate_file = (dir_ / "server.crt").string();
        tls.private_key_file = (dir_ / "server.key").string();
        tls.client_ca_file = (dir_ / "ca-bundle.pem").string();
        tls.client_auth = rpc::TlsOptions::ClientAuth::required;
        tls.identity_mapper = [](const rpc::PeerCertificate& cert) { return cert.subject_cn; };
        options.tls = std::move(tls);
        gateway_ = std::make_unique<rpc::Server>(std::move(options));
        add_echo_service(*gateway_);
        gateway_->add_interceptor([this](rpc::CallContext& ctx) -> rpc::Task<rpc::Status> {
            std::lock_guard lock(mutex_);
            seen_identity_ = ctx.peer_identity;
            seen_certificate_ = ctx.peer_certificate;
            co_return rpc::Status{};
        });
        gateway_->start();
    }

    rpc::Status echo(const std::string& cert_file, const std::string& key_file, bool http2) {
        rpc::ClientOptions options;
        options.base_url = "https://127.0.0.1:" + std::to_string(gateway_->port());
        options.http2 = http2;
        options.ca_file = (dir_ / "ca-bundle.pem").string();
        options.certificate_file = cert_file;
        options.private_key_file = key_file;
        options.timeout = 10s;
        rpc::Client client(io_.get_executor(), std::move(options));
        test::v1::EchoResponse response;
        auto status = run_on(io_, client.unary(kEchoUnary, echo_request("hello"), response));
        if (status.ok()) {
            EXPECT_EQ(response.message(), "hello");
        }
        return status;
    }

    std::unique_ptr<rpc::Server> gateway_;
    std::mutex mutex_;
    std::string seen_identity_;
    std::optional<rpc::PeerCertificate> seen_certificate_;
};

TEST_F(MtlsTest, RegisteredCertificateAuthenticatesTheDevice) {
    start_gateway();
    std::string key_pem;
    auto registered = register_device(create_token(admin_token()).second, "agent-01",
                                      ca::RequestKeyType::ecdsa_p256, &key_pem);
    ASSERT_OK(registered);
    const std::string device_id = registered.response.device_id().value();
    write_file(dir_ / "agent.crt", registered.response.certificate());
    write_file(dir_ / "agent.key", key_pem);
    // The CA certificate the agent is given is the one the gateway trusts.
    EXPECT_EQ(registered.response.ca_cert(), host_->authority().certificate_pem());

    for (const bool http2 : {true, false}) {
        SCOPED_TRACE(http2 ? "HTTP/2" : "HTTP/1.1");
        const auto status =
            echo((dir_ / "agent.crt").string(), (dir_ / "agent.key").string(), http2);
        ASSERT_TRUE(status.ok()) << rpc::code_name(status.code) << ": " << status.message;
        std::lock_guard lock(mutex_);
        EXPECT_EQ(seen_identity_, device_id);
        ASSERT_TRUE(seen_certificate_.has_value());
        EXPECT_EQ(seen_certificate_->subject_cn, device_id);
    }

    // The serial the gateway sees is the one the control plane recorded.
    std::string serial;
    {
        std::lock_guard lock(mutex_);
        serial = seen_certificate_->serial_hex;
    }
    auto recorded =
        sql("SELECT serial, fingerprint FROM device_certificates_projection "
            "WHERE device_id = $1 AND revoked_at IS NULL",
            {device_id});
    ASSERT_EQ(recorded.rows(), 1);
    EXPECT_EQ(recorded.text(0, 0), serial);
    EXPECT_EQ(recorded.text(0, 1), seen_certificate_->sha256_fingerprint);

    // Deleting the device revokes exactly that serial.
    pm::v1::DeleteDeviceRequest remove;
    remove.set_id(device_id);
    ASSERT_OK(call<pm::v1::DeleteDeviceResponse>("DeleteDevice", remove, admin_token()));
    auto revoked =
        sql("SELECT revoked_at IS NOT NULL FROM device_certificates_projection "
            "WHERE serial = $1",
            {serial});
    ASSERT_EQ(revoked.rows(), 1);
    EXPECT_TRUE(revoked.boolean(0, 0));
    pm::v1::GetDeviceRequest get;
    get.set_id(device_id);
    EXPECT_CODE(call<pm::v1::GetDeviceResponse>("GetDevice", get, admin_token()), Code::not_found);
}

TEST_F(MtlsTest, CertificateOfAnotherCaIsRefused) {
    start_gateway();
    // A certificate of a foreign CA, for a key that the agent really holds.
    auto foreign = ca::CertificateAuthority::create("foreign", ca::KeyType::ecdsa_p256, 24h);
    auto request = ca::make_agent_request("impostor");
    auto issued = foreign.sign_agent_request(request.csr_pem, "01HZX3K5V8M2Q4R6T8W0Y2A4C6", 1h);
    write_file(dir_ / "foreign.crt", issued.pem);
    write_file(dir_ / "foreign.key", request.private_key_pem);
    const auto status =
        echo((dir_ / "foreign.crt").string(), (dir_ / "foreign.key").string(), true);
    EXPECT_FALSE(status.ok());
    EXPECT_TRUE(status.code == Code::unavailable || status.code == Code::unauthenticated)
        << rpc::code_name(status.code) << ": " << status.message;
}

}  // namespace
}  // namespace pm::testing
