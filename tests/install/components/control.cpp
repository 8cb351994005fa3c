// Uses powermanage::control alone.
#include <cstdio>

#include <powermanage/control/control_host.hpp>

int main() {
    const pm::control::ControlHostOptions options;
    std::printf("control: default address %s\n", options.listen_address.c_str());
    return options.listen_address.empty() ? 1 : 0;
}
