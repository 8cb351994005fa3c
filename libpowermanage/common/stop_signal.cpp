#include <csignal>

#include <pthread.h>

#include <powermanage/common/stop_signal.hpp>

namespace pm {

namespace {

sigset_t stop_signals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    return signals;
}

}  // namespace

void block_stop_signals() {
    const sigset_t signals = stop_signals();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

int wait_for_stop_signal() {
    const sigset_t signals = stop_signals();
    int received = 0;
    sigwait(&signals, &received);
    return received;
}

StopSignalWatcher::StopSignalWatcher() {
    block_stop_signals();
    thread_ = std::thread([this] {
        wait_for_stop_signal();
        interrupted_ = true;
    });
}

StopSignalWatcher::~StopSignalWatcher() {
    if (!interrupted_) {
        // Directed at the watching thread, which alone waits for it: the process sees nothing.
        pthread_kill(thread_.native_handle(), SIGTERM);
    }
    thread_.join();
}

std::string listen_address(const HostPort& address) {
    return (address.host.empty() ? std::string("0.0.0.0") : address.host) + ":" +
           std::to_string(address.port);
}

}  // namespace pm
