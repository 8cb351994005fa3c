// Uses powermanage::validation alone (and the contract it validates).
#include <cstdio>

#include <powermanage/validation/validator.hpp>

#include "pm/v1/control.pb.h"

int main() {
    pm::v1::LoginRequest login;
    login.set_email("not-an-email");
    const auto violations = pm::validation::RuleSet::contract().validate(login);
    std::printf("validation: %s\n", pm::validation::describe(violations).c_str());
    return violations.empty() ? 1 : 0;
}
