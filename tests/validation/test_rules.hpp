#pragma once

/// @file
/// @brief Helpers for the validation tests: parse a small table against the test-only
/// pm.test messages and summarise violations as "field:rule" strings.

#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <powermanage/validation/validator.hpp>

#include "validation_test.pb.h"

namespace pm::validation::test_support {

/// A valid ULID for tests.
inline constexpr std::string_view kUlid = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

/// Parses `table` against the pm.test messages of the generated pool.
inline RuleSet rules(std::string_view table) {
    // Touching a descriptor registers validation_test.proto with the generated pool.
    pm::test::Scalars::descriptor();
    return RuleSet::parse(table, *google::protobuf::DescriptorPool::generated_pool(), "pm.test");
}

/// The violations of `message` as "field:rule", in reported order.
inline std::vector<std::string> failures(const RuleSet& rule_set,
                                         const google::protobuf::Message& message) {
    std::vector<std::string> out;
    for (const auto& violation : rule_set.validate(message)) {
        out.push_back(violation.field + ":" + violation.rule);
    }
    return out;
}

/// Shorthand: parse `table` and validate `message` with it.
inline std::vector<std::string> failures(std::string_view table,
                                         const google::protobuf::Message& message) {
    return failures(rules(table), message);
}

}  // namespace pm::validation::test_support
