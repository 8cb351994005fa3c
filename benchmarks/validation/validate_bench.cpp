// RuleSet::validate() on typical valid requests: the per-request cost the server pays.

#include <benchmark/benchmark.h>

#include <powermanage/validation/validator.hpp>

#include "pm/v1/actions.pb.h"
#include "pm/v1/control.pb.h"

namespace {

using pm::validation::RuleSet;

void BM_ValidateLogin(benchmark::State& state) {
    const RuleSet& rules = RuleSet::contract();
    pm::v1::LoginRequest request;
    request.set_email("admin@example.com");
    request.set_password("correct horse battery staple");
    for (auto _ : state) {
        auto violations = rules.validate(request);
        benchmark::DoNotOptimize(violations);
    }
}
BENCHMARK(BM_ValidateLogin);

void BM_ValidateCreateShellAction(benchmark::State& state) {
    const RuleSet& rules = RuleSet::contract();
    pm::v1::CreateActionRequest request;
    request.set_name("Rotate logs");
    request.set_description("Forces a logrotate run on every managed host.");
    request.set_type(pm::v1::ACTION_TYPE_SHELL);
    request.set_timeout_seconds(300);
    request.mutable_schedule()->set_cron("0 3 * * *");
    auto* shell = request.mutable_shell();
    shell->set_script("#!/bin/sh\nset -eu\nlogrotate -f /etc/logrotate.conf\n");
    shell->set_interpreter("/bin/sh");
    shell->set_working_directory("/var/log");
    (*shell->mutable_environment())["LANG"] = "C.UTF-8";
    (*shell->mutable_environment())["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
    for (auto _ : state) {
        auto violations = rules.validate(request);
        benchmark::DoNotOptimize(violations);
    }
}
BENCHMARK(BM_ValidateCreateShellAction);

}  // namespace
