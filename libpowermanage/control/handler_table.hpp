#pragma once
/// @file
/// @brief Registration of the ControlService's handlers from one table (handler_table.cpp).
#include <string>
#include <vector>

#include <powermanage/rpc/server.hpp>

#include "control/service_impl.hpp"

namespace pm::control {

/// Adds every ControlService handler to `server`, each behind the same adapter (the contract's
/// validation, the policy's role and condition, the handler on a worker thread, or on the I/O
/// thread for a handler returning rpc::Task that awaits its reads, database outages answered
/// unavailable). Creates the domains' handler objects in `service`. Returns
/// the full names of the methods it added.
std::vector<std::string> install_handlers(rpc::Server& server, ControlService::Impl& service);

/// The full names of the methods install_handlers() adds, without a server.
std::vector<std::string> handled_methods();

}  // namespace pm::control
