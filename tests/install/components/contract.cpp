// Uses powermanage::contract alone: the generated pm.v1 messages and the catalogue.
#include <cstdio>

#include <powermanage/contract/contract.hpp>

#include "pm/v1/control.pb.h"

int main() {
    pm::v1::LoginRequest login;
    login.set_email("admin@example.com");
    const auto counts = pm::contract::count_definitions();
    std::printf("contract: %zu methods, %zu bytes\n", counts.methods, login.ByteSizeLong());
    return counts.methods > 0 ? 0 : 1;
}
