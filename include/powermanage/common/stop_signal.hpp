#pragma once
/// @file
/// @brief How daemons wait for SIGINT and SIGTERM: the signals are blocked in every thread
/// (block them before starting any, so threads inherit the mask) and taken with sigwait(), so
/// no handler runs at an arbitrary point of some thread.
#include <string>

#include <powermanage/common/config.hpp>

namespace pm {

/// Blocks SIGINT and SIGTERM in the calling thread and in the threads it starts afterwards.
void block_stop_signals();

/// Waits until SIGINT or SIGTERM arrives (block_stop_signals() first); returns its number.
int wait_for_stop_signal();

/// `address` as a listen address for rpc::Server: an empty host (":8080") means every IPv4
/// interface ("0.0.0.0:8080").
std::string listen_address(const HostPort& address);

}  // namespace pm
