#pragma once

// The integrator's own RPC service and HTTP route (example.allinone.v1.SiteService and
// GET /site/status), on the control plane's server beside pm.v1.ControlService. Its access
// rule is its own: a shared key in the x-site-key header when one is configured, never a pm
// session.

#include <memory>
#include <string>

#include <powermanage/rpc/server.hpp>

namespace pm::db {
class ConnectionPool;
}  // namespace pm::db
namespace pm::gateway {
class ConnectionManager;
}  // namespace pm::gateway

namespace allinone {

/// What the site service reads and how it is guarded.
struct SiteServiceOptions {
    std::string site_name = "development";  ///< answered by Status
    std::string site_key;  ///< required in x-site-key when not empty; empty: anyone may call
};

/// The service; see the file comment. Keeps its own worker thread for database reads.
class SiteService {
public:
    /// Reads from `pool` (the process's shared pool) and `agents` (the gateway's connections);
    /// both must outlive the service.
    SiteService(pm::db::ConnectionPool& pool, const pm::gateway::ConnectionManager& agents,
                SiteServiceOptions options);
    ~SiteService();
    SiteService(const SiteService&) = delete;
    SiteService& operator=(const SiteService&) = delete;

    /// Adds Status, its key check (scoped to SiteService) and GET /site/status to `server`.
    void install(pm::rpc::Server& server);
    /// Finishes queued reads and stops the worker; after the server stopped. Safe to call twice.
    void shutdown();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace allinone
