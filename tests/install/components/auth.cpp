// Uses powermanage::auth alone.
#include <cstdio>

#include <powermanage/auth/password.hpp>

int main() {
    const pm::auth::PasswordHasher hasher({64, 1, 1});
    const bool ok = hasher.verify("pw", hasher.hash("pw"));
    std::printf("auth: %s\n", ok ? "hash verifies" : "hash does not verify");
    return ok ? 0 : 1;
}
