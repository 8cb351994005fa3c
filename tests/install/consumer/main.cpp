// A program outside the project that uses an installed libpowermanage.
#include <cstdio>

#include <powermanage/auth/password.hpp>
#include <powermanage/common/ulid.hpp>
#include <powermanage/contract/contract.hpp>
#include <powermanage/validation/validator.hpp>

#include "pm/v1/control.pb.h"

int main() {
    const auto id = pm::new_ulid();
    if (!pm::Ulid::is_valid(id)) {
        std::puts("consumer: new_ulid() gave an invalid ULID");
        return 1;
    }
    const auto counts = pm::contract::count_definitions();
    pm::v1::LoginRequest login;
    login.set_email("not-an-email");
    const auto violations = pm::validation::RuleSet::contract().validate(login);
    if (counts.methods != 80 || violations.empty()) {
        std::printf("consumer: %zu methods, %zu violations\n", counts.methods, violations.size());
        return 1;
    }
    // Password hashing pulls in libargon2, a private dependency the static archive passes on.
    const pm::auth::PasswordHasher hasher({64, 1, 1});
    if (!hasher.verify("pw", hasher.hash("pw"))) {
        std::puts("consumer: a fresh password hash does not verify");
        return 1;
    }
    std::printf("consumer OK: %s, %zu RPCs, %s\n", id.c_str(), counts.methods,
                pm::validation::describe(violations).c_str());
    return 0;
}
