#pragma once

// Throwaway TLS certificates for tests: made with OpenSSL in a temporary directory that is
// removed with the object. ECDSA P-256, valid for a day (from a minute ago).

#include <filesystem>
#include <string>

namespace pm::testing {

/// A CA, a server certificate for 127.0.0.1 and localhost, a client certificate whose subject
/// CN is `client_cn`, and a "stranger": a client certificate with the same CN from a second CA
/// that the server is not told about. Every file is PEM.
class TestPki {
public:
    /// Makes every certificate; throws std::runtime_error if OpenSSL fails.
    explicit TestPki(std::string client_cn = "01HZX3K5V8M2Q4R6T8W0Y2A4C6");
    ~TestPki();
    TestPki(const TestPki&) = delete;
    TestPki& operator=(const TestPki&) = delete;

    const std::filesystem::path& dir() const { return dir_; }    ///< the temporary directory
    const std::string& client_cn() const { return client_cn_; }  ///< CN of both client certs

    std::string ca_file() const { return file("ca.pem"); }                   ///< the trusted CA
    std::string other_ca_file() const { return file("other-ca.pem"); }       ///< the second CA
    std::string server_cert_file() const { return file("server.pem"); }      ///< for the server
    std::string server_key_file() const { return file("server.key"); }       ///< its key
    std::string client_cert_file() const { return file("client.pem"); }      ///< issued by ca
    std::string client_key_file() const { return file("client.key"); }       ///< its key
    std::string stranger_cert_file() const { return file("stranger.pem"); }  ///< by other-ca
    std::string stranger_key_file() const { return file("stranger.key"); }   ///< its key

private:
    std::string file(const char* name) const { return (dir_ / name).string(); }

    std::filesystem::path dir_;
    std::string client_cn_;
};

}  // namespace pm::testing
