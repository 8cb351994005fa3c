#pragma once
/// @file
/// @brief Where the simulated agents keep what registration gave them: one folder per agent
/// (`<root>/agents/<index>/`) holding `identity` (device id, hostname, gateway URL),
/// `key.pem`, `cert.pem` and `ca.pem`. A folder appears complete or not at all (written
/// under a temporary name, then renamed), so a fleet killed mid-registration reloads cleanly.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

namespace pm::agentsim {

/// What an agent knows about itself besides its key files.
struct StoredIdentity {
    std::string device_id;    ///< the certificate's CN, from Register
    std::string hostname;     ///< the hostname it registered with
    std::string gateway_url;  ///< the gateway Register named
};

/// The PEM texts registration produced.
struct IdentityFiles {
    std::string private_key_pem;  ///< the agent's key
    std::string certificate_pem;  ///< its certificate (CN = device id)
    std::string ca_pem;           ///< the CA that issued it
};

/// One folder of agent identities.
class IdentityStore {
public:
    /// Uses (and creates) `root`. Throws std::runtime_error if it cannot be created.
    explicit IdentityStore(std::filesystem::path root);
    /// The folder of agent `index`.
    std::filesystem::path agent_dir(std::size_t index) const;
    /// Agent `index`'s key file.
    std::filesystem::path key_file(std::size_t index) const { return agent_dir(index) / "key.pem"; }
    /// Agent `index`'s certificate file.
    std::filesystem::path cert_file(std::size_t index) const {
        return agent_dir(index) / "cert.pem";
    }
    /// Agent `index`'s CA file.
    std::filesystem::path ca_file(std::size_t index) const { return agent_dir(index) / "ca.pem"; }
    /// Agent `index`'s identity, or nullopt if it has none (or an incomplete one).
    std::optional<StoredIdentity> load(std::size_t index) const;
    /// Writes agent `index`'s identity and files, replacing any earlier one. Throws
    /// std::runtime_error on I/O errors.
    void save(std::size_t index, const StoredIdentity& identity, const IdentityFiles& files) const;
    /// The root folder.
    const std::filesystem::path& root() const { return root_; }

private:
    std::filesystem::path root_;
};

/// Reads a whole file; throws std::runtime_error naming it if it cannot.
std::string read_text_file(const std::filesystem::path& file);

}  // namespace pm::agentsim
