#pragma once

// pm.test.v1.EchoService (echo.proto) on a pm::rpc::Server, for the rpc tests and
// pm_echo_server. Request headers "x-echo-header" and "x-echo-trailer" come back as a response
// header and trailer of the same name (Unary).

#include <powermanage/rpc/server.hpp>

namespace pm::testing {

/// The full method names.
inline constexpr const char* kEchoUnary = "pm.test.v1.EchoService.Unary";
inline constexpr const char* kEchoServerStream = "pm.test.v1.EchoService.ServerStream";
inline constexpr const char* kEchoClientStream = "pm.test.v1.EchoService.ClientStream";
inline constexpr const char* kEchoBidi = "pm.test.v1.EchoService.Bidi";

/// Registers the four EchoService methods on `server`.
void add_echo_service(rpc::Server& server);

}  // namespace pm::testing
