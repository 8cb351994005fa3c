#pragma once
/// @file
/// @brief The pm-ca commands. Each takes the parsed flags and its own arguments (what follows
/// the command word) and returns the process exit code: 0 done, 1 the operation failed (a
/// refused CSR, a signature that does not match, an unreadable file). Mistakes in how the
/// tool was called throw UsageError, which main() turns into exit code 2.
#include <stdexcept>
#include <string>
#include <vector>

#include <powermanage/common/config.hpp>

namespace pm::catool {

/// The tool was called wrongly (missing flag, extra argument); what() says what to change.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Arguments after the command word.
using Arguments = std::vector<std::string>;

/// init: a new CA key and self-signed certificate in --out-dir (ca.key mode 0600, ca.crt).
int run_init(const Config& config, const Arguments& args);
/// sign-csr [CSR|-]: a device certificate for the PKCS#10 request, PEM on stdout or --out.
int run_sign_csr(const Config& config, const Arguments& args);
/// sign-action [PARAMS|-]: the base64 signature over (--action-id, --action-type, the
/// params_canonical bytes read from PARAMS or stdin).
int run_sign_action(const Config& config, const Arguments& args);
/// verify-action [PARAMS|-]: whether --signature is the CA's signature over the action;
/// needs the CA certificate only.
int run_verify_action(const Config& config, const Arguments& args);

}  // namespace pm::catool
