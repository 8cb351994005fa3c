#include "commands.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <sys/stat.h>

#include <powermanage/ca/action_verifier.hpp>
#include <powermanage/ca/authority.hpp>
#include <powermanage/common/base64.hpp>
#include <powermanage/common/time.hpp>

namespace pm::catool {
namespace {

namespace fs = std::filesystem;

constexpr std::chrono::hours kCaValidity{24 * 365 * 10};
constexpr std::chrono::hours kDeviceValidity{24 * 365};

std::string read_file(const fs::path& path, std::string_view what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot read " + std::string(what) + " " + path.string() + ": " +
                                 std::strerror(errno));
    }
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The command's one input: a file named by its single argument, or stdin for "-" or none.
std::string read_input(const Arguments& args, std::string_view what) {
    if (args.size() > 1) {
        throw UsageError("expected at most one " + std::string(what) + " file, got " +
                         std::to_string(args.size()) + " arguments");
    }
    if (args.empty() || args[0] == "-") {
        std::ostringstream all;
        all << std::cin.rdbuf();
        return all.str();
    }
    return read_file(args[0], what);
}

// Writes `text` to --out when given (with `mode`), else to stdout.
void write_output(const Config& config, const std::string& text, fs::perms mode) {
    if (!config.has("out")) {
        std::cout << text << std::flush;
        return;
    }
    const fs::path path = config.get_path("out");
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
        throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(errno));
    }
    fs::permissions(path, mode);
}

// A file that only its owner may read, created so from the start: a private key must never be
// readable by others, not even for a moment.
void write_private(const fs::path& path, const std::string& text) {
    const mode_t previous = ::umask(077);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    ::umask(previous);
    out << text;
    out.close();
    if (!out) {
        throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(errno));
    }
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
}

std::chrono::seconds validity(const Config& config, std::chrono::seconds fallback) {
    if (!config.has("validity")) {
        return fallback;
    }
    const auto value =
        std::chrono::duration_cast<std::chrono::seconds>(config.get_duration("validity"));
    if (value.count() <= 0) {
        throw UsageError("--validity must be positive, e.g. 8760h");
    }
    return value;
}

const std::string& required(const Config& config, std::string_view name, std::string_view why) {
    if (!config.has(name) || config.get_string(name).empty()) {
        throw UsageError("--" + std::string(name) + " is required: " + std::string(why));
    }
    return config.get_string(name);
}

ca::KeyType key_type(const std::string& word) {
    if (word == "ecdsa-p384") {
        return ca::KeyType::ecdsa_p384;
    }
    if (word == "rsa-3072") {
        return ca::KeyType::rsa_3072;
    }
    return ca::KeyType::ecdsa_p256;
}

ca::CertificateAuthority load_authority(const Config& config) {
    return ca::CertificateAuthority::from_files(config.get_path("ca-cert").string(),
                                                config.get_path("ca-key").string());
}

int action_type(const Config& config) {
    required(config, "action-type", "the action's type number, e.g. 200 for a shell script");
    return static_cast<int>(config.get_int("action-type"));
}

}  // namespace

int run_init(const Config& config, const Arguments& args) {
    if (!args.empty()) {
        throw UsageError("init takes no arguments; name the folder with --out-dir");
    }
    const fs::path dir = config.get_path("out-dir");
    const fs::path cert = dir / "ca.crt";
    const fs::path key = dir / "ca.key";
    if (!config.get_bool("force") && (fs::exists(cert) || fs::exists(key))) {
        std::cerr << "pm-ca: " << dir.string()
                  << " already holds ca.crt or ca.key; refusing to replace a CA (every device "
                     "certificate it signed would stop verifying). Use --force to replace it.\n";
        return 1;
    }
    fs::create_directories(dir);
    const auto authority = ca::CertificateAuthority::create(config.get_string("name"),
                                                            key_type(config.get_choice("key-type")),
                                                            validity(config, kCaValidity));
    write_private(key, authority.private_key_pem());
    std::ofstream out(cert, std::ios::binary | std::ios::trunc);
    out << authority.certificate_pem();
    out.close();
    if (!out) {
        throw std::runtime_error("cannot write " + cert.string() + ": " + std::strerror(errno));
    }
    std::cout << "created " << cert.string() << " and " << key.string() << " (SHA-256 "
              << ca::certificate_fingerprint(authority.certificate_pem()) << ")\n";
    return 0;
}

int run_sign_csr(const Config& config, const Arguments& args) {
    const auto& device = required(config, "device-id",
                                  "it becomes the certificate's CN, which the gateway "
                                  "takes as the device's identity");
    const auto csr = read_input(args, "CSR");
    const auto authority = load_authority(config);
    ca::IssuedCertificate issued;
    try {
        issued = authority.sign_agent_request(csr, device, validity(config, kDeviceValidity));
    } catch (const ca::CsrError& refused) {
        std::cerr << "pm-ca: the CSR was refused: " << refused.what() << "\n";
        return 1;
    }
    write_output(config, issued.pem,
                 fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                     fs::perms::others_read);
    std::cerr << "pm-ca: issued serial " << issued.serial_hex << " to " << device
              << ", valid until " << format_rfc3339(issued.not_after) << "\n";
    return 0;
}

int run_sign_action(const Config& config, const Arguments& args) {
    const auto& id = required(config, "action-id", "the signature covers it");
    const int type = action_type(config);
    const auto params = read_input(args, "params");
    const auto authority = load_authority(config);
    write_output(config, base64_encode(authority.sign_action(id, type, params)) + "\n",
                 fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                     fs::perms::others_read);
    return 0;
}

int run_verify_action(const Config& config, const Arguments& args) {
    const auto& id = required(config, "action-id", "the signature covers it");
    const int type = action_type(config);
    const auto& encoded = required(config, "signature", "the base64 text sign-action printed");
    const auto signature = base64_decode(encoded);
    if (!signature) {
        throw UsageError("--signature is not base64; pass the line sign-action printed");
    }
    const auto params = read_input(args, "params");
    const auto certificate = read_file(config.get_path("ca-cert"), "CA certificate");
    if (!ca::ActionVerifier(certificate).verify(id, type, params, *signature)) {
        std::cerr << "pm-ca: the signature does not match action " << id << " (type " << type
                  << ", " << params.size()
                  << " bytes of params): the action was changed after it was signed, or it was "
                     "signed by another CA.\n";
        return 1;
    }
    std::cout << "valid: action " << id << " was signed by this CA\n";
    return 0;
}

}  // namespace pm::catool
