// pm-ca: a certificate authority for a Power Manage fleet, built on the CA module alone (no
// database, no RPC): it creates the CA, signs device CSRs and signs or checks actions.
#include <exception>
#include <iostream>
#include <string>

#include <powermanage/ca/authority.hpp>
#include <powermanage/common/config.hpp>

#include "commands.hpp"

namespace {

constexpr const char* kCommands = R"(commands:
  init                     a new CA: --out-dir/ca.key (mode 0600) and --out-dir/ca.crt
                           [--name, --key-type, --validity (default 87600h), --force]
  sign-csr [CSR|-]         a device certificate (CN = --device-id, EKU clientAuth) for a
                           PKCS#10 request (PEM or DER) read from CSR or stdin; the
                           certificate PEM goes to stdout or --out [--validity, default 8760h]
  sign-action [PARAMS|-]   signs --action-id, --action-type and the params_canonical bytes read
                           from PARAMS or stdin; prints the signature, base64, one line
  verify-action [PARAMS|-] checks --signature against the action with --ca-cert only (no key
                           needed); exit 0 if it matches, 1 if not
exit codes: 0 done, 1 the operation failed (the message says why), 2 wrong usage
)";

pm::OptionSet options() {
    pm::OptionSet set("pm-ca",
                      "A fleet certificate authority: creates the CA, signs device CSRs, signs "
                      "and verifies actions.");
    set.add_path("ca-cert")
        .env("PM_CA_CERT")
        .default_value("ca.crt")
        .help("The CA certificate (PEM).");
    set.add_path("ca-key")
        .env("PM_CA_KEY")
        .default_value("ca.key")
        .help("The CA private key (PEM); not needed by verify-action.");
    set.add_path("out-dir").default_value(".").help("init: where ca.crt and ca.key are written.");
    set.add_string("name").default_value("power-manage CA").help("init: the CA's common name.");
    set.add_choice("key-type", {"ecdsa-p256", "ecdsa-p384", "rsa-3072"})
        .default_value("ecdsa-p256")
        .help("init: the CA key.");
    set.add_bool("force").help("init: replace an existing CA in --out-dir.");
    set.add_duration("validity")
        .help("init, sign-csr: lifetime of the certificate (defaults: CA 87600h, device 8760h).");
    set.add_string("device-id").help("sign-csr: the device id, the certificate's CN.");
    set.add_path("out").help("sign-csr, sign-action: write here instead of stdout.");
    set.add_string("action-id")
        .help(
            "sign-action, verify-action: the id the agent receives as Action.id (for a dispatch, "
            "the execution id).");
    set.add_int("action-type")
        .range(1, 100000)
        .help("sign-action, verify-action: the action type number (200 = ACTION_TYPE_SHELL).");
    set.add_string("signature").help("verify-action: the signature, base64.");
    set.allow_positional("COMMAND [FILE|-]");
    return set;
}

}  // namespace

int main(int argc, char** argv) {
    const auto set = options();
    const pm::Config config = set.parse_or_exit(argc, argv, std::string("\n") + kCommands);
    const auto& words = config.positional();
    if (words.empty()) {
        std::cerr << "pm-ca: no command given.\n" << kCommands;
        return 2;
    }
    const std::string& command = words.front();
    const pm::catool::Arguments args(words.begin() + 1, words.end());
    try {
        if (command == "init") {
            return pm::catool::run_init(config, args);
        }
        if (command == "sign-csr") {
            return pm::catool::run_sign_csr(config, args);
        }
        if (command == "sign-action") {
            return pm::catool::run_sign_action(config, args);
        }
        if (command == "verify-action") {
            return pm::catool::run_verify_action(config, args);
        }
        std::cerr << "pm-ca: unknown command '" << command << "'.\n" << kCommands;
        return 2;
    } catch (const pm::catool::UsageError& e) {
        std::cerr << "pm-ca " << command << ": " << e.what()
                  << "\nRun pm-ca --help for the usage.\n";
        return 2;
    } catch (const pm::ca::CaError& e) {
        std::cerr << "pm-ca " << command << ": the CA cannot be used: " << e.what()
                  << "\nCheck --ca-cert and --ca-key (pm-ca init creates a pair).\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "pm-ca " << command << ": " << e.what() << "\n";
        return 1;
    }
}
