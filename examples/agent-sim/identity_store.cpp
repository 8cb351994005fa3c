#include "identity_store.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

namespace pm::agentsim {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& file, const std::string& text, bool secret) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
        throw std::runtime_error("cannot write " + file.string());
    }
    if (secret) {
        fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write,
                        fs::perm_options::replace);
    }
}

}  // namespace

std::string read_text_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot read " + file.string());
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

IdentityStore::IdentityStore(fs::path root) : root_(std::move(root)) {
    std::error_code error;
    fs::create_directories(root_ / "agents", error);
    if (error) {
        throw std::runtime_error("cannot create " + (root_ / "agents").string() + ": " +
                                 error.message());
    }
}

fs::path IdentityStore::agent_dir(std::size_t index) const {
    return root_ / "agents" / fmt::format("{:05}", index);
}

std::optional<StoredIdentity> IdentityStore::load(std::size_t index) const {
    const auto dir = agent_dir(index);
    std::error_code error;
    if (!fs::exists(dir / "identity", error) || !fs::exists(dir / "key.pem", error) ||
        !fs::exists(dir / "cert.pem", error) || !fs::exists(dir / "ca.pem", error)) {
        return std::nullopt;
    }
    std::istringstream lines(read_text_file(dir / "identity"));
    StoredIdentity identity;
    std::string line;
    while (std::getline(lines, line)) {
        const auto equals = line.find('=');
        if (equals == std::string::npos) {
            continue;
        }
        const auto key = line.substr(0, equals);
        auto value = line.substr(equals + 1);
        if (key == "device_id") {
            identity.device_id = std::move(value);
        } else if (key == "hostname") {
            identity.hostname = std::move(value);
        } else if (key == "gateway_url") {
            identity.gateway_url = std::move(value);
        }
    }
    if (identity.device_id.empty()) {
        return std::nullopt;
    }
    return identity;
}

void IdentityStore::save(std::size_t index, const StoredIdentity& identity,
                         const IdentityFiles& files) const {
    const auto dir = agent_dir(index);
    const auto temporary = fs::path(dir.string() + ".tmp");
    std::error_code error;
    fs::remove_all(temporary, error);
    fs::create_directories(temporary, error);
    if (error) {
        throw std::runtime_error("cannot create " + temporary.string() + ": " + error.message());
    }
    write_file(temporary / "key.pem", files.private_key_pem, true);
    write_file(temporary / "cert.pem", files.certificate_pem, false);
    write_file(temporary / "ca.pem", files.ca_pem, false);
    write_file(temporary / "identity",
               fmt::format("device_id={}\nhostname={}\ngateway_url={}\n", identity.device_id,
                           identity.hostname, identity.gateway_url),
               false);
    fs::remove_all(dir, error);
    fs::rename(temporary, dir, error);
    if (error) {
        throw std::runtime_error("cannot rename " + temporary.string() + ": " + error.message());
    }
}

}  // namespace pm::agentsim
