#pragma once
/// @file
/// @brief The certificate authority of a fleet: it signs the agents' certificate requests
/// (CN = device id, clientAuth), issues the gateway's server certificate, and signs stored
/// actions so that agents can verify them with the CA certificate they received at
/// registration (agent protocol A.2.7).
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pm::ca {

/// A certificate request the CA refuses to sign. what() says what was wrong in words a
/// client can act on ("the CSR's signature does not verify", "RSA keys must have at least 2048
/// bits", ...).
class CsrError : public std::invalid_argument {
public:
    /// Why the request was refused.
    enum class Reason {
        malformed,        ///< not a PEM or DER PKCS#10 request
        bad_signature,    ///< its self-signature does not verify
        unsupported_key,  ///< not ECDSA P-256/P-384 or RSA >= 2048 bits
    };
    /// A refusal for `reason`, explained by `message`.
    CsrError(Reason reason, const std::string& message)
        : std::invalid_argument(message), reason_(reason) {}
    /// Why.
    Reason reason() const { return reason_; }

private:
    Reason reason_;
};

/// The CA's certificate or key cannot be used (unreadable, not PEM, mismatched, unsupported).
class CaError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A certificate the CA issued.
struct IssuedCertificate {
    std::string pem;                 ///< the certificate, PEM
    std::string serial_hex;          ///< serial, upper-case hex without leading zeros
    std::string sha256_fingerprint;  ///< SHA-256 of the DER, lower-case hex
    std::chrono::system_clock::time_point not_before;  ///< start of validity
    std::chrono::system_clock::time_point not_after;   ///< end of validity
};

/// A server certificate with its freshly generated private key.
struct ServerCredentials {
    IssuedCertificate certificate;  ///< signed by the CA; serverAuth
    std::string private_key_pem;    ///< ECDSA P-256, PKCS#8 PEM
};

/// Which key a new CA gets.
enum class KeyType { ecdsa_p256, ecdsa_p384, rsa_3072 };

/// A CA certificate and its private key. Loaded once, then used from every thread at once
/// (every const member is thread-safe).
class CertificateAuthority {
public:
    /// From PEM text: the first certificate of `certificate_pem` and the key of `key_pem`
    /// (PKCS#8, SEC1 EC or PKCS#1 RSA; unencrypted). Throws CaError when either cannot be
    /// parsed, the key is not ECDSA P-256/P-384 or RSA >= 2048 bits, the key does not belong
    /// to the certificate, or the certificate is not a CA (basicConstraints CA:TRUE).
    static CertificateAuthority from_pem(std::string_view certificate_pem,
                                         std::string_view key_pem);
    /// from_pem() on the contents of two files; CaError names the file that failed.
    static CertificateAuthority from_files(const std::string& certificate_file,
                                           const std::string& key_file);
    /// A new self-signed CA (for development and tests): CN `common_name`, O `power-manage`,
    /// valid from a minute ago for `validity`, keyCertSign + cRLSign, CA:TRUE pathlen 0.
    static CertificateAuthority create(std::string_view common_name, KeyType key_type,
                                       std::chrono::seconds validity);

    CertificateAuthority(CertificateAuthority&&) noexcept;             ///< moves the key
    CertificateAuthority& operator=(CertificateAuthority&&) noexcept;  ///< moves the key
    ~CertificateAuthority();

    /// The CA certificate, PEM (what agents pin and verify action signatures with).
    std::string certificate_pem() const;
    /// The CA private key, PKCS#8 PEM (to save a generated development CA).
    std::string private_key_pem() const;

    /// Signs an agent's PKCS#10 request (PEM, or DER): verifies its self-signature, accepts
    /// only ECDSA P-256/P-384 and RSA >= 2048-bit keys, and issues a certificate for the
    /// request's public key with subject CN = `device_id`, O = `power-manage`,
    /// serialNumber = `device_id`; the request's DNS SANs (its hostname) are kept and nothing
    /// else of it; a random 128-bit serial; valid from a minute ago for `validity`;
    /// digitalSignature (+ keyEncipherment for RSA), EKU clientAuth only, CA:FALSE,
    /// authority and subject key identifiers. Throws CsrError for a request it refuses.
    IssuedCertificate sign_agent_request(std::string_view csr, std::string_view device_id,
                                         std::chrono::seconds validity) const;

    /// A server certificate for the gateway with a new ECDSA P-256 key: CN = first DNS name
    /// (or first IP), SANs = `dns_names` and `ip_addresses`, EKU serverAuth, valid for
    /// `validity`. Throws std::invalid_argument for an unparsable IP address or no names.
    ServerCredentials issue_server_certificate(const std::vector<std::string>& dns_names,
                                               const std::vector<std::string>& ip_addresses,
                                               std::chrono::seconds validity) const;

    /// The string an action signature covers, as the agent rebuilds it:
    /// `<action_id>:<action_type as decimal>:<standard padded base64 of params_canonical>`.
    static std::string action_signing_input(std::string_view action_id, int action_type,
                                            std::string_view params_canonical);
    /// Signs action_signing_input() with the CA key, SHA-256: an ASN.1 DER ECDSA signature
    /// for an EC key, PKCS#1 v1.5 for RSA. Raw signature bytes.
    std::string sign_action(std::string_view action_id, int action_type,
                            std::string_view params_canonical) const;
    /// Whether `signature` is this CA's signature over the action, checked exactly as a
    /// Feb 2026 agent checks it (with the public key of certificate_pem()).
    bool verify_action(std::string_view action_id, int action_type,
                       std::string_view params_canonical, std::string_view signature) const;

private:
    struct State;
    explicit CertificateAuthority(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

/// SHA-256 of a PEM certificate's DER, lower-case hex; throws CaError if it does not parse.
std::string certificate_fingerprint(std::string_view certificate_pem);

}  // namespace pm::ca
