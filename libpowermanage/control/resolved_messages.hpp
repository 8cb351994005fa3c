#pragma once
/// @file
/// @brief pm.v1 messages built from the resolution read model (projection/resolution.hpp),
/// shared by GetDeviceAssignments and ListAvailableActions.
#include <powermanage/projection/resolution.hpp>

#include "pm/v1/control.pb.h"

namespace pm::control {

/// Fills `out` from a resolved action: its stored params become the ManagedAction's params
/// member for its type; params or a schedule that no longer fit the contract are left out
/// rather than failing the whole answer.
void to_managed_action(const projection::ResolvedAction& action, pm::v1::ManagedAction* out);

}  // namespace pm::control
