#include <powermanage/common/clock.hpp>

namespace pm {

const Clock& Clock::system() {
    // Deliberately never destroyed: loggers and generators held in other statics may still
    // read the time while the process shuts down.
    static const Clock* const clock = new SystemClock();
    return *clock;
}

}  // namespace pm
