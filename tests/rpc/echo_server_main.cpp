// pm_echo_server: pm.test.v1.EchoService (echo.proto) on a pm::rpc::Server, for the interop
// tests and manual checks.
//
//   pm_echo_server [--listen HOST:PORT] [--tls-cert PEM --tls-key PEM [--tls-ca PEM]]
//                  [--client-auth none|optional|required] [--io-threads N]
//
// Prints "listening on <port>" once it accepts connections, then serves until SIGTERM or
// SIGINT, or until standard input reaches end of file when it is a pipe (so a parent's exit
// stops it; /dev/null and terminals are not watched). Exits 0 after a graceful stop. With
// client certificates, the peer identity is the certificate's CN (see "whoami" in echo.proto).

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>

#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <powermanage/rpc/server.hpp>

#include "echo_service.hpp"

namespace {

[[noreturn]] void usage(std::string_view problem) {
    std::cerr << "pm_echo_server: " << problem
              << "\nusage: pm_echo_server [--listen HOST:PORT] [--tls-cert PEM --tls-key PEM "
                 "[--tls-ca PEM]] [--client-auth none|optional|required] [--io-threads N]\n";
    std::exit(2);
}

pm::rpc::ServerOptions parse(int argc, char** argv) {
    pm::rpc::ServerOptions options;
    pm::rpc::TlsOptions tls;
    bool want_tls = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view flag = argv[i];
        if (i + 1 >= argc) {
            usage("missing value after " + std::string(flag));
        }
        const std::string value = argv[++i];
        if (flag == "--listen") {
            options.listen_address = value;
        } else if (flag == "--tls-cert") {
            tls.certificate_file = value;
            want_tls = true;
        } else if (flag == "--tls-key") {
            tls.private_key_file = value;
            want_tls = true;
        } else if (flag == "--tls-ca") {
            tls.client_ca_file = value;
        } else if (flag == "--client-auth") {
            if (value == "none") {
                tls.client_auth = pm::rpc::TlsOptions::ClientAuth::none;
            } else if (value == "optional") {
                tls.client_auth = pm::rpc::TlsOptions::ClientAuth::optional;
            } else if (value == "required") {
                tls.client_auth = pm::rpc::TlsOptions::ClientAuth::required;
            } else {
                usage("--client-auth takes none, optional or required");
            }
        } else if (flag == "--io-threads") {
            options.io_threads = static_cast<std::size_t>(std::stoul(value));
        } else {
            usage("unknown flag " + std::string(flag));
        }
    }
    if (want_tls) {
        if (tls.certificate_file.empty() || tls.private_key_file.empty()) {
            usage("TLS needs both --tls-cert and --tls-key");
        }
        tls.identity_mapper = [](const pm::rpc::PeerCertificate& cert) { return cert.subject_cn; };
        options.tls = std::move(tls);
    }
    options.limits.shutdown_grace = std::chrono::seconds(5);
    return options;
}

// Ends the process's wait when standard input, if it is a pipe, reaches end of file.
void watch_stdin() {
    struct stat info {};
    if (fstat(STDIN_FILENO, &info) != 0 || !S_ISFIFO(info.st_mode)) {
        return;
    }
    std::thread([] {
        char buffer[256];
        while (read(STDIN_FILENO, buffer, sizeof(buffer)) > 0) {
        }
        kill(getpid(), SIGTERM);
    }).detach();
}

}  // namespace

int main(int argc, char** argv) {
    auto options = parse(argc, argv);
    // Block the stop signals in every thread (the server's inherit the mask), and take them
    // synchronously below.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    try {
        pm::rpc::Server server(std::move(options));
        pm::testing::add_echo_service(server);
        server.add_plain_route("/health", [] {
            return pm::rpc::PlainResponse{200, "text/plain", "ok"};
        });
        server.start();
        std::cout << "listening on " << server.port() << std::endl;
        watch_stdin();
        int signal = 0;
        sigwait(&stop_signals, &signal);
        server.stop();
    } catch (const std::exception& error) {
        std::cerr << "pm_echo_server: " << error.what() << "\n";
        return 1;
    }
    return 0;
}
