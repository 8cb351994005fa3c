// Uses powermanage::gateway alone.
#include <cstdio>

#include <powermanage/gateway/connection_manager.hpp>

int main() {
    pm::gateway::ConnectionManager connections;
    std::printf("gateway: %zu agents connected\n", connections.size());
    return connections.size() == 0 ? 0 : 1;
}
