// Uses powermanage::rpc alone.
#include <cstdio>

#include <powermanage/rpc/status.hpp>

int main() {
    const auto name = pm::rpc::code_name(pm::rpc::Code::unavailable);
    std::printf("rpc: %.*s\n", static_cast<int>(name.size()), name.data());
    return name == "unavailable" ? 0 : 1;
}
