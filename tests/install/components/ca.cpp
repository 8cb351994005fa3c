// Uses powermanage::ca alone: a CA-only program (OpenSSL is all it needs besides us).
#include <chrono>
#include <cstdio>

#include <powermanage/ca/authority.hpp>

int main() {
    const auto authority = pm::ca::CertificateAuthority::create(
        "consumer CA", pm::ca::KeyType::ecdsa_p256, std::chrono::hours(1));
    const auto pem = authority.certificate_pem();
    std::printf("ca: %zu bytes of certificate\n", pem.size());
    return pem.find("BEGIN CERTIFICATE") == std::string::npos ? 1 : 0;
}
