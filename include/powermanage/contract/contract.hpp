#pragma once

/// @file
/// @brief The pm.v1 wire contract as compiled into the library: descriptor access and counts.

#include <cstddef>
#include <string_view>

namespace google::protobuf {
class DescriptorPool;
class MethodDescriptor;
}  // namespace google::protobuf

namespace pm::contract {

/// The pool holding every pm.v1 file, service and message. Calling it also guarantees that
/// the generated code is linked in, which a static library would otherwise drop.
const google::protobuf::DescriptorPool& pool();

/// Finds a method by its HTTP route (`/pm.v1.ControlService/Login`) or by its full name
/// (`pm.v1.ControlService.Login`). Returns nullptr when the contract has no such method.
const google::protobuf::MethodDescriptor* find_method(std::string_view route_or_name);

/// How many of each kind of definition the pm.v1 files hold.
struct Counts {
    std::size_t files = 0;        ///< .proto files in package pm.v1
    std::size_t services = 0;     ///< service definitions
    std::size_t methods = 0;      ///< RPCs over all services
    std::size_t messages = 0;     ///< declared messages, map entries excluded
    std::size_t map_entries = 0;  ///< synthetic map-entry messages
    std::size_t enums = 0;        ///< enum definitions
    std::size_t enum_values = 0;  ///< values over all enums
    std::size_t fields = 0;       ///< fields of declared messages (map entries excluded)
    std::size_t oneofs = 0;       ///< oneof groups
};

/// Walks the pm.v1 files of pool() and counts their definitions.
Counts count_definitions();

}  // namespace pm::contract
