// One CA used from several threads at once, as the server uses it.
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <powermanage/ca/authority.hpp>
#include <powermanage/ca/request.hpp>

#include "ca_test_support.hpp"

namespace pm::ca {
namespace {

using namespace std::chrono_literals;
using namespace testing;

TEST(ConcurrencyTest, FourThreadsSignRequestsAndActionsFromOneCa) {
    constexpr int kThreads = 4;
    constexpr int kPerThread = 200;
    const CertificateAuthority& ca = p256_ca();
    std::vector<AgentRequest> requests;
    for (int t = 0; t < kThreads; ++t) {
        requests.push_back(make_agent_request("host-" + std::to_string(t)));
    }
    std::mutex mutex;
    std::set<std::string> serials;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            std::vector<std::string> mine;
            for (int i = 0; i < kPerThread; ++i) {
                const std::string id = "01DEVICE" + std::to_string(t) + "X" + std::to_string(i);
                try {
                    mine.push_back(
                        ca.sign_agent_request(requests[static_cast<std::size_t>(t)].csr_pem, id, 1h)
                            .serial_hex);
                    const std::string params = "{\"i\":" + std::to_string(i) + "}";
                    const std::string signature = ca.sign_action(id, t, params);
                    if (!ca.verify_action(id, t, params, signature) ||
                        ca.verify_action(id, t + 1, params, signature)) {
                        ++failures;
                    }
                } catch (const std::exception&) {
                    ++failures;
                }
            }
            const std::lock_guard lock(mutex);
            serials.insert(mine.begin(), mine.end());
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(serials.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace pm::ca
