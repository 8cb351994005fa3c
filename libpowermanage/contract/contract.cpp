#include <string>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

#include <powermanage/contract/contract.hpp>

#include "pm/v1/actions.pb.h"
#include "pm/v1/agent.pb.h"
#include "pm/v1/common.pb.h"
#include "pm/v1/control.pb.h"

namespace pm::contract {
namespace {

namespace gp = google::protobuf;

constexpr std::string_view kPackage = "pm.v1";

// One message per file: touching their descriptors forces each generated object file into
// the link and registers the file with the generated pool.
const gp::FileDescriptor* const* contract_files() {
    static const gp::FileDescriptor* const files[] = {
        pm::v1::DeviceId::descriptor()->file(),
        pm::v1::Action::descriptor()->file(),
        pm::v1::AgentMessage::descriptor()->file(),
        pm::v1::LoginRequest::descriptor()->file(),
        nullptr,
    };
    return files;
}

void count_message(const gp::Descriptor& message, Counts& counts) {
    if (message.options().map_entry()) {
        ++counts.map_entries;
        return;
    }
    ++counts.messages;
    counts.fields += static_cast<std::size_t>(message.field_count());
    counts.oneofs += static_cast<std::size_t>(message.real_oneof_decl_count());
    for (int i = 0; i < message.nested_type_count(); ++i) {
        count_message(*message.nested_type(i), counts);
    }
    for (int i = 0; i < message.enum_type_count(); ++i) {
        ++counts.enums;
        counts.enum_values += static_cast<std::size_t>(message.enum_type(i)->value_count());
    }
}

}  // namespace

const gp::DescriptorPool& pool() {
    contract_files();
    return *gp::DescriptorPool::generated_pool();
}

const gp::MethodDescriptor* find_method(std::string_view route_or_name) {
    std::string name(route_or_name);
    if (!name.empty() && name.front() == '/') {
        name.erase(0, 1);
        const auto slash = name.find('/');
        if (slash == std::string::npos || name.find('/', slash + 1) != std::string::npos) {
            return nullptr;
        }
        name[slash] = '.';
    }
    const auto* method = pool().FindMethodByName(name);
    if (method == nullptr || method->service()->file()->package() != kPackage) {
        return nullptr;
    }
    return method;
}

Counts count_definitions() {
    Counts counts;
    for (const auto* const* file = contract_files(); *file != nullptr; ++file) {
        const gp::FileDescriptor& f = **file;
        ++counts.files;
        counts.services += static_cast<std::size_t>(f.service_count());
        for (int i = 0; i < f.service_count(); ++i) {
            counts.methods += static_cast<std::size_t>(f.service(i)->method_count());
        }
        for (int i = 0; i < f.message_type_count(); ++i) {
            count_message(*f.message_type(i), counts);
        }
        for (int i = 0; i < f.enum_type_count(); ++i) {
            ++counts.enums;
            counts.enum_values += static_cast<std::size_t>(f.enum_type(i)->value_count());
        }
    }
    return counts;
}

}  // namespace pm::contract
