// QueuedSession: a bounded ring buffer under a mutex, and a writer coroutine that sleeps on a
// steady_timer (expiring never) while the ring is empty. Producers on other threads never
// touch the timer: Asio timers are not thread-safe, so they post a wake-up to the writer's
// executor, which cancels the timer there. The waiter re-checks the ring under the mutex
// after every wake-up, so a stray or late wake-up costs one loop and a missed one cannot
// happen: the check and the publication of the waiter are one critical section.

#include <atomic>
#include <stdexcept>
#include <utility>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <powermanage/gateway/connection_manager.hpp>

#include "pm/v1/agent.pb.h"

namespace pm::gateway {

namespace asio = boost::asio;

namespace {

std::atomic<std::uint64_t> next_session_id{1};

// The first allocation of the ring: most bursts to one agent are a message or two.
constexpr std::uint32_t kInitialSlots = 4;
// A drained ring larger than this is freed, so a burst does not pin memory for good.
constexpr std::uint32_t kKeptSlots = kInitialSlots;

}  // namespace

AgentSession::AgentSession() : id_(next_session_id.fetch_add(1, std::memory_order_relaxed)) {}

// Lives in next()'s coroutine frame while the writer sleeps.
struct QueuedSession::Waiter {
    asio::steady_timer timer;
};

std::shared_ptr<QueuedSession> QueuedSession::create(Options options) {
    return std::make_shared<QueuedSession>(Passkey{}, options);
}

QueuedSession::QueuedSession(Passkey, Options options)
    : capacity_(options.capacity == 0 ? 1 : options.capacity),
      stall_after_(options.stall_after),
      busy_since_(std::chrono::steady_clock::now()) {}

QueuedSession::~QueuedSession() = default;

OfferResult QueuedSession::offer(Message message) {
    std::lock_guard lock(mutex_);
    if (close_) {
        return OfferResult::closed;
    }
    if (count_ >= capacity_) {
        return OfferResult::full;
    }
    // Messages waiting behind a writer that has not come back for one in stall_after_: the
    // agent (or its network) is not reading. Bounded in time, not only in length.
    if (count_ > 0 && waiter_ == nullptr && stall_after_ > std::chrono::steady_clock::duration{} &&
        std::chrono::steady_clock::now() - busy_since_ > stall_after_) {
        return OfferResult::full;
    }
    const bool idle = waiter_ != nullptr && count_ == 0;
    if (count_ == allocated_) {
        // Grow by doubling, up to the capacity; the live items are copied out in order.
        const std::uint32_t grown = allocated_ == 0 ? std::min(kInitialSlots, capacity_)
                                                    : std::min(allocated_ * 2, capacity_);
        auto slots = std::make_unique<Message[]>(grown);
        for (std::uint32_t i = 0; i < count_; ++i) {
            slots[i] = std::move(slots_[(head_ + i) % allocated_]);
        }
        slots_ = std::move(slots);
        allocated_ = grown;
        head_ = 0;
    }
    slots_[(head_ + count_) % allocated_] = std::move(message);
    ++count_;
    wake_locked();
    return idle ? OfferResult::delivered : OfferResult::queued;
}

void QueuedSession::close(std::string code, std::string message) {
    std::lock_guard lock(mutex_);
    if (close_) {
        return;
    }
    close_ = std::make_unique<Close>(Close{std::move(code), std::move(message)});
    wake_locked();
}

std::optional<QueuedSession::Item> QueuedSession::take_locked() {
    std::optional<Item> item;
    if (close_) {
        if (!close_taken_) {
            close_taken_ = true;
            item.emplace(std::move(*close_));
            // Nothing queued will be sent any more; free it now rather than with the session.
            count_ = 0;
            release_storage_locked();
        }
        return item;
    }
    if (count_ > 0) {
        item.emplace(std::move(slots_[head_]));
        head_ = (head_ + 1) % allocated_;
        --count_;
        busy_since_ = std::chrono::steady_clock::now();
        if (count_ == 0 && allocated_ > kKeptSlots) {
            release_storage_locked();
        }
    }
    return item;
}

void QueuedSession::release_storage_locked() {
    slots_.reset();
    allocated_ = 0;
    head_ = 0;
}

void QueuedSession::wake_locked() {
    if (waiter_ == nullptr || wake_posted_) {
        return;
    }
    wake_posted_ = true;
    // Weak: the session may be gone by the time the executor runs this.
    asio::post(waiter_->timer.get_executor(), [weak = weak_from_this()] {
        if (auto self = weak.lock()) {
            self->on_wake();
        }
    });
}

void QueuedSession::on_wake() {
    std::lock_guard lock(mutex_);
    wake_posted_ = false;
    // Runs on the writer's executor, so the timer is not in use by another thread. The waiter
    // may have changed (or gone) since the post; cancelling the current one is always safe.
    if (waiter_ != nullptr) {
        waiter_->timer.cancel();
    }
}

asio::awaitable<std::optional<QueuedSession::Item>> QueuedSession::next() {
    if (weak_from_this().expired()) {
        throw std::logic_error("QueuedSession must be owned by a shared_ptr (use create())");
    }
    const auto executor = co_await asio::this_coro::executor;
    const auto state = co_await asio::this_coro::cancellation_state;
    Waiter waiter{asio::steady_timer(executor, asio::steady_timer::time_point::max())};
    std::optional<Item> item;
    bool cancelled = false;
    for (;;) {
        {
            std::lock_guard lock(mutex_);
            item = take_locked();
            if (item || close_taken_) {
                break;
            }
            waiter_ = &waiter;
        }
        boost::system::error_code ignored;
        co_await waiter.timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
        {
            std::lock_guard lock(mutex_);
            waiter_ = nullptr;
        }
        // A wake-up and a cancellation both end the wait with operation_aborted; only the
        // coroutine's cancellation state tells them apart.
        if (state.cancelled() != asio::cancellation_type::none) {
            cancelled = true;
            break;
        }
    }
    if (cancelled) {
        throw boost::system::system_error(asio::error::operation_aborted);
    }
    co_return item;
}

std::size_t QueuedSession::queued() const {
    std::lock_guard lock(mutex_);
    return count_;
}

bool QueuedSession::idle() const {
    std::lock_guard lock(mutex_);
    return waiter_ != nullptr && count_ == 0 && !close_;
}

bool QueuedSession::closing() const {
    std::lock_guard lock(mutex_);
    return close_ != nullptr;
}

}  // namespace pm::gateway
