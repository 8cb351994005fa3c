#include "action_verifier.hpp"

#include <powermanage/ca/action_verifier.hpp>

namespace pm::agentsim {

ActionVerifier::ActionVerifier(std::string_view ca_pem)
    : check_(std::make_unique<ca::ActionVerifier>(ca_pem)) {}

ActionVerifier::~ActionVerifier() = default;

bool ActionVerifier::verify(const pm::v1::Action& action) const {
    return check_->verify(action.id().value(), static_cast<int>(action.type()),
                          action.params_canonical(), action.signature());
}

bool ActionVerifier::refuses(const pm::v1::Action& action) const {
    return action.type() == pm::v1::ACTION_TYPE_SHELL && !verify(action);
}

}  // namespace pm::agentsim
