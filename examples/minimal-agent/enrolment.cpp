#include "enrolment.hpp"

#include <fstream>
#include <sstream>

#include <sys/stat.h>

#include <powermanage/ca/request.hpp>
#include <powermanage/rpc/client.hpp>

#include "pm/v1/control.pb.h"

namespace pm::agent {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& file, const std::string& text, mode_t umask_bits) {
    // The umask is set before the file exists, so a key is never readable by others.
    const mode_t previous = ::umask(umask_bits);
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    ::umask(previous);
    out << text;
    out.close();
    if (!out) {
        throw std::runtime_error("cannot write " + file.string() +
                                 ": check that the state folder is writable");
    }
}

Identity files_in(const fs::path& dir) {
    return Identity{{}, {}, dir / "key.pem", dir / "cert.pem", dir / "ca.pem"};
}

bool retryable(rpc::Code code) {
    return code == rpc::Code::unavailable || code == rpc::Code::resource_exhausted ||
           code == rpc::Code::deadline_exceeded || code == rpc::Code::aborted ||
           code == rpc::Code::internal;
}

}  // namespace

std::optional<Identity> load_identity(const fs::path& state_dir) {
    std::ifstream in(state_dir / "identity");
    if (!in) {
        return std::nullopt;
    }
    Identity identity = files_in(state_dir);
    std::string line;
    while (std::getline(in, line)) {
        const auto equals = line.find('=');
        const auto key = line.substr(0, equals);
        const auto value = equals == std::string::npos ? std::string() : line.substr(equals + 1);
        if (key == "device_id") {
            identity.device_id = value;
        } else if (key == "gateway_url") {
            identity.gateway_url = value;
        }
    }
    if (identity.device_id.empty() || !fs::exists(identity.key_file) ||
        !fs::exists(identity.cert_file) || !fs::exists(identity.ca_file)) {
        throw std::runtime_error((state_dir / "identity").string() +
                                 " is incomplete; remove the state folder and enrol again");
    }
    return identity;
}

boost::asio::awaitable<Identity> enrol(boost::asio::any_io_executor executor,
                                       const EnrolmentRequest& request, const fs::path& state_dir) {
    rpc::ClientOptions options;
    options.base_url = request.control_url;
    options.ca_file = request.control_ca;
    options.timeout = request.timeout;
    rpc::Client client(executor, std::move(options));

    auto key = ca::make_agent_request(request.hostname);
    pm::v1::RegisterRequest call;
    call.set_token(request.token);
    call.set_hostname(request.hostname);
    call.set_agent_version(request.agent_version);
    call.set_csr(key.csr_pem);
    pm::v1::RegisterResponse answer;
    const auto status = co_await client.unary("pm.v1.ControlService.Register", call, answer);
    if (!status.ok()) {
        const auto text =
            "Register failed (" + std::string(rpc::code_name(status.code)) + "): " + status.message;
        if (retryable(status.code)) {
            throw std::runtime_error(text);
        }
        throw EnrolmentRefused(text + "; check --token (tokens can expire or be used up)");
    }
    if (answer.device_id().value().empty() || answer.certificate().empty() ||
        answer.ca_cert().empty()) {
        throw EnrolmentRefused("Register answered without a device id, certificate or CA");
    }
    fs::create_directories(state_dir);
    Identity identity = files_in(state_dir);
    identity.device_id = answer.device_id().value();
    identity.gateway_url = answer.gateway_url();
    write_file(identity.key_file, key.private_key_pem, 077);
    write_file(identity.cert_file, answer.certificate(), 022);
    write_file(identity.ca_file, answer.ca_cert(), 022);
    std::ostringstream text;
    text << "device_id=" << identity.device_id << "\ngateway_url=" << identity.gateway_url << "\n";
    write_file(state_dir / "identity.tmp", text.str(), 022);
    fs::rename(state_dir / "identity.tmp", state_dir / "identity");
    co_return identity;
}

}  // namespace pm::agent
