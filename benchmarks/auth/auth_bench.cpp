#include <chrono>
#include <string>

#include <benchmark/benchmark.h>

#include <powermanage/auth/jwt.hpp>
#include <powermanage/auth/password.hpp>

namespace pm::auth {
namespace {

const std::string kSecret(32, 's');

Claims sample_claims() {
    Claims claims;
    claims.jti = "01JDQ4W3ZP5V7Y8C9D0E1F2G3H";
    claims.user_id = "01JDQ4W3ZP5V7Y8C9D0E1F2G3A";
    claims.email = "alice@example.com";
    claims.role = "user";
    claims.issued_at = std::chrono::system_clock::now();
    claims.expires_at = claims.issued_at + std::chrono::minutes(15);
    return claims;
}

// One login's worth of Argon2id at the default (OWASP) parameters: the figure that bounds
// logins per second per core.
void BM_PasswordHashDefault(benchmark::State& state) {
    const PasswordHasher hasher;
    for (auto _ : state) {
        benchmark::DoNotOptimize(hasher.hash("correct horse battery staple"));
    }
}
BENCHMARK(BM_PasswordHashDefault)->Unit(benchmark::kMillisecond);

void BM_JwtSign(benchmark::State& state) {
    const JwtCodec codec(kSecret);
    const Claims claims = sample_claims();
    for (auto _ : state) {
        benchmark::DoNotOptimize(codec.sign(claims));
    }
}
BENCHMARK(BM_JwtSign);

// Every authenticated call pays this once.
void BM_JwtVerify(benchmark::State& state) {
    const JwtCodec codec(kSecret);
    const std::string token = codec.sign(sample_claims());
    const auto now = std::chrono::system_clock::now();
    for (auto _ : state) {
        auto verified = codec.verify(token, TokenType::access, now);
        if (!verified.ok()) {
            state.SkipWithError("the token did not verify");
            break;
        }
        benchmark::DoNotOptimize(verified);
    }
}
BENCHMARK(BM_JwtVerify);

}  // namespace
}  // namespace pm::auth
