#include <chrono>
#include <string>

#include <benchmark/benchmark.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <powermanage/ca/authority.hpp>
#include <powermanage/ca/request.hpp>

namespace pm::ca {
namespace {

using namespace std::chrono_literals;

// Made once: an RSA-3072 key takes long enough to generate to distort the first iteration.
const CertificateAuthority& ca_for(KeyType type) {
    static const CertificateAuthority p256 =
        CertificateAuthority::create("Bench P-256 CA", KeyType::ecdsa_p256, 24h);
    static const CertificateAuthority rsa =
        CertificateAuthority::create("Bench RSA CA", KeyType::rsa_3072, 24h);
    return type == KeyType::rsa_3072 ? rsa : p256;
}

// A registration: verify an agent's P-256 request and issue its certificate (PEM, serial,
// fingerprint). Multi-threaded runs share one CA, as the server does; real time, so
// items_per_second is the throughput of all threads together.
void BM_SignAgentRequest(benchmark::State& state, KeyType type) {
    const CertificateAuthority& ca = ca_for(type);
    const AgentRequest request = make_agent_request("agent-1.example.lan");
    for (auto _ : state) {
        benchmark::DoNotOptimize(
            ca.sign_agent_request(request.csr_pem, "01JQ3Z8Y7X6W5V4T3S2R1Q0P9N", 24h));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_SignAgentRequest, P256Ca, KeyType::ecdsa_p256)
    ->ThreadRange(1, 2)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_SignAgentRequest, Rsa3072Ca, KeyType::rsa_3072)
    ->ThreadRange(1, 2)
    ->UseRealTime();

// The limit for BM_SignAgentRequest, measured in the same run: what any CA must do with a
// request before it can sign it, with OpenSSL directly and nothing of ours — parse the same
// PEM request and verify its self-signature. Issue #14's goal: signatures >= 50 % of this.
void BM_ParseAndVerifyCsr(benchmark::State& state) {
    const AgentRequest request = make_agent_request("agent-1.example.lan");
    for (auto _ : state) {
        BIO* bio =
            BIO_new_mem_buf(request.csr_pem.data(), static_cast<int>(request.csr_pem.size()));
        X509_REQ* parsed = PEM_read_bio_X509_REQ(bio, nullptr, nullptr, nullptr);
        const int verified =
            parsed == nullptr ? -1 : X509_REQ_verify(parsed, X509_REQ_get0_pubkey(parsed));
        X509_REQ_free(parsed);
        BIO_free(bio);
        if (verified != 1) {
            ERR_clear_error();
            state.SkipWithError("the request does not parse or verify");
            break;
        }
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseAndVerifyCsr)->ThreadRange(1, 2)->UseRealTime();

// Signing a stored action for dispatch.
void BM_SignAction(benchmark::State& state, KeyType type) {
    const CertificateAuthority& ca = ca_for(type);
    const std::string params = R"({"name": "htop", "state": "installed"})";
    for (auto _ : state) {
        benchmark::DoNotOptimize(ca.sign_action("01JQ3Z8Y7X6W5V4T3S2R1Q0P9N", 3, params));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_SignAction, P256Ca, KeyType::ecdsa_p256)->ThreadRange(1, 2)->UseRealTime();
BENCHMARK_CAPTURE(BM_SignAction, Rsa3072Ca, KeyType::rsa_3072)->ThreadRange(1, 2)->UseRealTime();

// What an agent does per action (here with the CA's own certificate key).
void BM_VerifyAction(benchmark::State& state, KeyType type) {
    const CertificateAuthority& ca = ca_for(type);
    const std::string params = R"({"name": "htop", "state": "installed"})";
    const std::string signature = ca.sign_action("01JQ3Z8Y7X6W5V4T3S2R1Q0P9N", 3, params);
    for (auto _ : state) {
        benchmark::DoNotOptimize(
            ca.verify_action("01JQ3Z8Y7X6W5V4T3S2R1Q0P9N", 3, params, signature));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_VerifyAction, P256Ca, KeyType::ecdsa_p256);
BENCHMARK_CAPTURE(BM_VerifyAction, Rsa3072Ca, KeyType::rsa_3072);

}  // namespace
}  // namespace pm::ca
