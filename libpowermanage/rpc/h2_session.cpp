// The nghttp2 pump shared by the HTTP/2 server and client; see h2_session.hpp.

#include "rpc/h2_session.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <exception>
#include <new>
#include <string_view>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace pm::rpc::detail {

namespace asio = boost::asio;

namespace {

// mem_send output is gathered up to this size before one socket write: fewer syscalls and TLS
// records, while a 16 KiB DATA frame still goes out at once.
constexpr std::size_t kWriteBatch = 64u << 10;
// One socket read; nghttp2 parses whatever arrived.
constexpr std::size_t kReadBuffer = 16u << 10;
// Graceful shutdown sends a GOAWAY announcing the end first, and the GOAWAY naming the last
// stream served about one round trip later, so requests already in flight are not refused.
constexpr std::chrono::milliseconds kGoawayDelay{1000};

// Fields HTTP/2 forbids (RFC 9113 8.2.2); a peer would answer them with PROTOCOL_ERROR.
bool connection_specific(std::string_view name) {
    return name == "connection" || name == "keep-alive" || name == "proxy-connection" ||
           name == "transfer-encoding" || name == "upgrade" || name == "host";
}

nghttp2_nv make_nv(const std::string& name, const std::string& value) {
    // nghttp2 copies names and values (no NO_COPY flags), so pointing at our strings is enough;
    // the C API merely lacks const.
    return nghttp2_nv{reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                      reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
                      value.size(), NGHTTP2_NV_FLAG_NONE};
}

std::vector<H2Field> outbound_fields(const Headers& headers) {
    std::vector<H2Field> fields;
    fields.reserve(headers.fields().size());
    for (const auto& [name, value] : headers.fields()) {
        if (name.empty() || name.front() == ':' || connection_specific(name) ||
            (name == "te" && value != "trailers")) {
            continue;
        }
        fields.emplace_back(name, value);
    }
    return fields;
}

std::vector<nghttp2_nv> to_nv(const std::vector<H2Field>& fields) {
    std::vector<nghttp2_nv> nva;
    nva.reserve(fields.size());
    for (const auto& [name, value] : fields) {
        nva.push_back(make_nv(name, value));
    }
    return nva;
}

}  // namespace

// ---- H2Signal -------------------------------------------------------------------------------

H2Signal::H2Signal(const asio::any_io_executor& executor) : timer_(executor) {}

void H2Signal::notify() noexcept {
    notified_ = true;
    try {
        timer_.cancel();
    } catch (...) {  // cancel() only throws if the reactor is broken; the waiter then times out
    }
}

Task<bool> H2Signal::wait(H2Clock::time_point deadline) {
    if (!notified_) {
        timer_.expires_at(deadline);
        boost::system::error_code ignored;
        co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    const bool notified = notified_;
    notified_ = false;
    co_return notified;
}

// ---- H2Stream -------------------------------------------------------------------------------

H2Stream::H2Stream(std::int32_t stream_id, const asio::any_io_executor& executor)
    : id(stream_id), send_progress(H2Clock::now()), readable(executor), writable(executor) {}

Code code_for_h2_error(std::uint32_t error_code) {
    switch (error_code) {
        case NGHTTP2_REFUSED_STREAM:
            return Code::unavailable;
        case NGHTTP2_CANCEL:
            return Code::canceled;
        case NGHTTP2_ENHANCE_YOUR_CALM:
            return Code::resource_exhausted;
        case NGHTTP2_INADEQUATE_SECURITY:
            return Code::permission_denied;
        default:
            return Code::internal;
    }
}

// ---- H2Connection: set-up -------------------------------------------------------------------

H2Connection::H2Connection(Role role, asio::any_io_executor executor, AnyStream stream,
                           H2Settings settings)
    : role_(role),
      executor_(std::move(executor)),
      stream_(std::move(stream)),
      settings_(settings),
      write_signal_(executor_),
      watchdog_signal_(executor_),
      tasks_signal_(executor_),
      last_activity_(H2Clock::now()),
      finished_signal_(executor_) {}

H2Connection::~H2Connection() {
    if (session_ != nullptr) {
        nghttp2_session_del(session_);
    }
}

void H2Connection::create_session() {
    nghttp2_session_callbacks* callbacks = nullptr;
    if (nghttp2_session_callbacks_new(&callbacks) != 0) {
        throw std::bad_alloc();
    }
    std::unique_ptr<nghttp2_session_callbacks, void (*)(nghttp2_session_callbacks*)>
        callbacks_guard(callbacks, &nghttp2_session_callbacks_del);
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, &on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &on_data_chunk_recv);
    nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, &on_frame_send);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &on_stream_close);

    nghttp2_option* option = nullptr;
    if (nghttp2_option_new(&option) != 0) {
        throw std::bad_alloc();
    }
    std::unique_ptr<nghttp2_option, void (*)(nghttp2_option*)> option_guard(option,
                                                                            &nghttp2_option_del);
    // Windows open only as far as the application reads (consume()), so a slow reader pushes
    // back on its peer instead of buffering without bound.
    nghttp2_option_set_no_auto_window_update(option, 1);

    const int rv = role_ == Role::server
                       ? nghttp2_session_server_new2(&session_, callbacks, this, option)
                       : nghttp2_session_client_new2(&session_, callbacks, this, option);
    if (rv != 0) {
        throw std::bad_alloc();
    }

    std::vector<nghttp2_settings_entry> entries{
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, settings_.stream_window},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, settings_.max_header_list},
    };
    if (role_ == Role::server) {
        entries.push_back(
            {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, settings_.max_concurrent_streams});
    } else {
        entries.push_back({NGHTTP2_SETTINGS_ENABLE_PUSH, 0});
    }
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, entries.data(), entries.size());
    nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                          static_cast<std::int32_t>(settings_.connection_window));
}

std::uint32_t H2Connection::remote_setting(nghttp2_settings_id id) const {
    return session_ == nullptr ? 0 : nghttp2_session_get_remote_settings(session_, id);
}

// ---- H2Connection: the pump -----------------------------------------------------------------

Task<void> H2Connection::run(std::string initial_bytes) {
    auto self = shared_from_this();
    // Cleanup below must still be able to wait after a cancellation.
    co_await asio::this_coro::throw_if_cancelled(false);
    const auto cancellation = co_await asio::this_coro::cancellation_state;
    bool cancelled = false;
    bool stopped_reading = false;  // nghttp2 wants no more input; the writer finishes up
    try {
        create_session();
        task_started();
        asio::co_spawn(executor_, write_loop(), asio::detached);
        task_started();
        asio::co_spawn(executor_, watchdog(), asio::detached);
        if (shutdown_pending_) {
            begin_shutdown();
        }
        if (terminate_pending_) {
            terminate();
        }
        stopped_reading =
            !initial_bytes.empty() && !feed(initial_bytes.data(), initial_bytes.size());
        std::array<char, kReadBuffer> buffer;
        while (!closed_ && !stopped_reading) {
            if (cancellation.cancelled() != asio::cancellation_type::none) {
                cancelled = true;  // arrived while no read was pending
                break;
            }
            std::size_t size = 0;
            try {
                size = co_await stream_.read_some(buffer);
            } catch (const boost::system::system_error&) {
                // The peer closed or reset the connection, or we closed it; or the coroutine
                // was cancelled (Server::stop() after the grace period, for instance).
                cancelled = !closed_ && cancellation.cancelled() != asio::cancellation_type::none;
                break;
            }
            last_activity_ = H2Clock::now();
            stopped_reading = !feed(buffer.data(), size);
        }
    } catch (const std::exception&) {
        // Out of memory in set-up or in our own bookkeeping: this connection ends.
    }

    const auto cancelled_now = [&] {
        return cancellation.cancelled() != asio::cancellation_type::none;
    };
    if (stopped_reading && !cancelled) {
        // GOAWAY is queued; the writer sends it and closes. The watchdog bounds a stuck write.
        while (!closed_ && !cancelled_now()) {
            co_await tasks_signal_.wait();
        }
        cancelled = cancelled_now();
    }
    close_now(cancelled);

    // Every exchange must end before the session goes. They see failed reads and sends at
    // once; one that waits for something else gets the grace period (or less, if this
    // coroutine is cancelled meanwhile), then terminal cancellation.
    const auto give_up = H2Clock::now() + settings_.shutdown_grace;
    bool cancel_sent = cancelled;
    while (tasks_ > 0) {
        co_await tasks_signal_.wait(cancel_sent ? H2Clock::time_point::max() : give_up);
        if (!cancel_sent && (H2Clock::now() >= give_up || cancelled_now())) {
            cancel_exchanges();
            cancel_sent = true;
        }
    }
    finished_ = true;
    finished_signal_.notify();
}

Task<void> H2Connection::wait_finished() {
    auto self = shared_from_this();
    while (!finished_) {
        co_await finished_signal_.wait();
    }
}

bool H2Connection::feed(const char* data, std::size_t size) {
    const auto consumed =
        nghttp2_session_mem_recv(session_, reinterpret_cast<const std::uint8_t*>(data), size);
    if (consumed < 0) {
        // A bad client preface, a flood, or a callback failure: GOAWAY and end this connection
        // (and only this one).
        const std::uint32_t code =
            consumed == NGHTTP2_ERR_FLOODED ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR;
        nghttp2_session_terminate_session(session_, code);
        terminating_ = true;
        signal_write();
        return false;
    }
    start_requests();
    signal_write();
    // After a connection error nghttp2 has queued GOAWAY itself and wants no more input.
    return nghttp2_session_want_read(session_) != 0;
}

Task<void> H2Connection::write_loop() {
    auto self = shared_from_this();
    std::string batch;
    try {
        while (!closed_) {
            batch.clear();
            while (batch.size() < kWriteBatch) {
                const std::uint8_t* data = nullptr;
                const auto size = nghttp2_session_mem_send(session_, &data);
                if (size < 0) {
                    close_now(false);
                    break;
                }
                if (size == 0) {
                    break;
                }
                batch.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
            }
            if (closed_) {
                break;
            }
            if (!batch.empty()) {
                writing_ = true;
                write_started_ = H2Clock::now();
                poke_watchdog(write_started_ + settings_.send_timeout);
                co_await stream_.write(batch);
                writing_ = false;
                continue;
            }
            if (nghttp2_session_want_read(session_) == 0 &&
                nghttp2_session_want_write(session_) == 0) {
                // Finished cleanly: GOAWAY went out and no stream is left. (No TLS
                // close_notify: the reader still has a read pending on the stream, and GOAWAY
                // already told the peer that the end is deliberate.)
                close_now(false);
                break;
            }
            co_await write_signal_.wait();
        }
    } catch (const std::exception&) {
        close_now(false);  // the socket failed or was closed under us
    }
    writing_ = false;
    task_finished();
}

Task<void> H2Connection::watchdog() {
    auto self = shared_from_this();
    try {
        while (!closed_) {
            const auto now = H2Clock::now();
            auto deadline = H2Clock::time_point::max();
            if (writing_) {
                // A peer that stopped reading: its TCP window stays closed and the write never
                // completes.
                const auto stuck = write_started_ + settings_.send_timeout;
                if (now >= stuck) {
                    close_now(false);
                    break;
                }
                deadline = std::min(deadline, stuck);
            }
            if (settings_.idle_timeout.count() > 0 && busy_count() == 0 && !terminating_) {
                const auto idle = last_activity_ + settings_.idle_timeout;
                if (now >= idle) {
                    terminating_ = true;
                    nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
                    signal_write();
                } else {
                    deadline = std::min(deadline, idle);
                }
            }
            if (shutting_down_) {
                if (!final_goaway_sent_) {
                    const auto goaway = shutdown_started_ + kGoawayDelay;
                    if (now >= goaway || busy_count() == 0) {
                        final_goaway_sent_ = true;
                        nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                                              nghttp2_session_get_last_proc_stream_id(session_),
                                              NGHTTP2_NO_ERROR, nullptr, 0);
                        signal_write();
                    } else {
                        deadline = std::min(deadline, goaway);
                    }
                }
                const auto grace = shutdown_started_ + settings_.shutdown_grace;
                if (now >= grace) {
                    close_now(true);
                    break;
                }
                deadline = std::min(deadline, grace);
            }
            watchdog_deadline_ = deadline;
            co_await watchdog_signal_.wait(deadline);
            watchdog_deadline_ = H2Clock::time_point::min();
        }
    } catch (const std::exception&) {
        close_now(false);
    }
    task_finished();
}

void H2Connection::poke_watchdog(H2Clock::time_point deadline) noexcept {
    if (deadline < watchdog_deadline_) {
        watchdog_signal_.notify();
    }
}

void H2Connection::task_finished() {
    --tasks_;
    tasks_signal_.notify();
}

void H2Connection::exchange_finished() {
    --exchanges_running_;
    if (busy_count() == 0 && settings_.idle_timeout.count() > 0) {
        poke_watchdog(last_activity_ + settings_.idle_timeout);
    }
}

void H2Connection::begin_shutdown() {
    if (session_ == nullptr) {
        shutdown_pending_ = true;  // run() has not started yet; it calls us again
        return;
    }
    if (closed_ || shutting_down_) {
        return;
    }
    shutting_down_ = true;
    shutdown_started_ = H2Clock::now();
    if (role_ == Role::server) {
        nghttp2_submit_shutdown_notice(session_);
    }
    signal_write();
    watchdog_signal_.notify();
}

void H2Connection::terminate() {
    if (session_ == nullptr) {
        terminate_pending_ = true;  // run() has not started yet; it calls us again
        return;
    }
    if (closed_ || terminating_) {
        return;
    }
    terminating_ = true;
    nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
    signal_write();
}

void H2Connection::close_now(bool cancel) {
    if (!closed_) {
        closed_ = true;
        stream_.close();
        auto streams = std::move(streams_);
        streams_.clear();
        for (auto& [id, stream] : streams) {
            stream->closed = true;
            stream->connection_failed = true;
            stream->outbound.clear();
            stream->outbound_bytes = 0;
            stream->readable.notify();
            stream->writable.notify();
        }
        write_signal_.notify();
        watchdog_signal_.notify();
        tasks_signal_.notify();
    }
    if (cancel) {
        cancel_exchanges();
    }
}

void H2Connection::on_request(std::shared_ptr<H2Stream>) {}
void H2Connection::start_requests() {}
void H2Connection::cancel_exchanges() {}

// ---- H2Connection: stream operations --------------------------------------------------------

H2Stream* H2Connection::find(std::int32_t id) const {
    const auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : it->second.get();
}

RpcError H2Connection::stream_failure(const H2Stream& stream) {
    if (stream.connection_failed) {
        return RpcError(Code::unavailable, "the HTTP/2 connection closed");
    }
    return RpcError(
        code_for_h2_error(stream.error_code),
        "the HTTP/2 stream was reset (error code " + std::to_string(stream.error_code) + ")");
}

void H2Connection::consume(H2Stream& stream, std::size_t bytes) {
    const auto n = std::min(bytes, stream.unconsumed);
    if (n == 0) {
        return;
    }
    stream.unconsumed -= n;
    if (!closed_ && !stream.closed) {
        nghttp2_session_consume(session_, stream.id, n);
        signal_write();  // a WINDOW_UPDATE may be due
    }
}

void H2Connection::resume(H2Stream& stream) {
    if (stream.deferred && !stream.closed && !closed_) {
        stream.deferred = false;
        nghttp2_session_resume_data(session_, stream.id);
    }
}

Task<std::optional<std::string>> H2Connection::read_data(H2Stream& stream) {
    auto self = shared_from_this();
    std::optional<std::string> chunk;  // a named result: see the GCC 12 note in h2_client.cpp
    for (;;) {
        if (!stream.inbound.empty()) {
            chunk.emplace().swap(stream.inbound);
            consume(stream, chunk->size());
            co_return chunk;
        }
        if (stream.inbound_end) {
            co_return chunk;
        }
        if (stream.closed || stream.reset_sent) {
            throw stream_failure(stream);
        }
        co_await stream.readable.wait();
    }
}

Task<bool> H2Connection::wait_head(H2Stream& stream) {
    auto self = shared_from_this();
    while (!stream.head_complete) {
        if (stream.closed || stream.reset_sent) {
            co_return false;
        }
        co_await stream.readable.wait();
    }
    co_return true;
}

Task<bool> H2Connection::send_data(H2Stream& stream, std::string data, bool end) {
    auto self = shared_from_this();
    if (stream.closed || stream.reset_sent || closed_ || stream.outbound_end) {
        co_return false;
    }
    if (!stream.head_sent && !submit_response(stream, 200, Headers{}, false)) {
        co_return false;
    }
    // Bounded queue: wait while the peer has not taken what is already queued (its window is
    // closed, or the socket is slow). A peer that takes nothing for send_timeout is stalled.
    const auto started = H2Clock::now();
    while (stream.outbound_bytes >= settings_.send_buffer) {
        if (stream.closed || stream.reset_sent || closed_) {
            co_return false;
        }
        const auto deadline = std::max(stream.send_progress, started) + settings_.send_timeout;
        if (H2Clock::now() >= deadline) {
            reset_stream(stream, NGHTTP2_CANCEL);
            co_return false;
        }
        co_await stream.writable.wait(deadline);
    }
    if (stream.closed || stream.reset_sent || closed_ || stream.outbound_end) {
        co_return false;
    }
    if (!data.empty()) {
        stream.outbound_bytes += data.size();
        stream.outbound.push_back(std::move(data));
    }
    if (end) {
        stream.outbound_end = true;
    }
    resume(stream);
    signal_write();
    co_return true;
}

bool H2Connection::submit_response(H2Stream& stream, int status, const Headers& headers, bool end) {
    if (stream.closed || stream.reset_sent || closed_ || stream.head_sent ||
        role_ != Role::server) {
        return false;
    }
    const std::string status_name = ":status";
    const std::string status_value = std::to_string(status);
    const auto fields = outbound_fields(headers);
    std::vector<nghttp2_nv> nva;
    nva.reserve(fields.size() + 1);
    nva.push_back(make_nv(status_name, status_value));
    for (const auto& [name, value] : fields) {
        nva.push_back(make_nv(name, value));
    }
    nghttp2_data_provider provider{};
    provider.source.ptr = &stream;
    provider.read_callback = &read_outbound;
    if (nghttp2_submit_response(session_, stream.id, nva.data(), nva.size(),
                                end ? nullptr : &provider) != 0) {
        return false;
    }
    stream.head_sent = true;
    stream.provider_attached = !end;
    if (end) {
        stream.outbound_end = true;
        stream.provider_eof = true;
    }
    signal_write();
    return true;
}

bool H2Connection::submit_trailers(H2Stream& stream, const Headers& trailers) {
    if (stream.closed || stream.reset_sent || closed_ || stream.provider_eof) {
        return false;
    }
    if (!stream.head_sent && !submit_response(stream, 200, Headers{}, false)) {
        return false;
    }
    // The trailers go out from read_outbound, after the last queued byte (HEADERS would
    // otherwise overtake the DATA still queued, as nghttp2 sends non-DATA frames first).
    stream.out_trailers = outbound_fields(trailers);
    stream.outbound_end = true;
    resume(stream);
    signal_write();
    return true;
}

std::shared_ptr<H2Stream> H2Connection::submit_request(const std::vector<H2Field>& fields,
                                                       bool end) {
    if (session_ == nullptr || closed_ || goaway_received_ || terminating_ ||
        role_ != Role::client) {
        return nullptr;
    }
    auto stream = std::make_shared<H2Stream>(0, executor_);
    const auto nva = to_nv(fields);
    nghttp2_data_provider provider{};
    provider.source.ptr = stream.get();
    provider.read_callback = &read_outbound;
    const auto id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(),
                                           end ? nullptr : &provider, nullptr);
    if (id < 0) {
        return nullptr;
    }
    stream->id = id;
    stream->head_sent = true;
    stream->provider_attached = !end;
    stream->outbound_end = end;
    stream->provider_eof = end;
    streams_.emplace(id, stream);
    signal_write();
    return stream;
}

void H2Connection::reset_stream(H2Stream& stream, std::uint32_t error_code) {
    if (stream.closed || stream.reset_sent || closed_ || stream.id == 0) {
        return;
    }
    stream.reset_sent = true;
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream.id, error_code);
    stream.readable.notify();
    stream.writable.notify();
    signal_write();
}

void H2Connection::detach(H2Stream& stream) {
    if (stream.detached) {
        return;
    }
    stream.detached = true;
    if (!stream.closed && !closed_) {
        if (role_ == Role::server) {
            if (!stream.outbound_end) {
                // The exchange ended without finishing its response: the client must not take
                // a truncated body for a whole one.
                reset_stream(stream, NGHTTP2_INTERNAL_ERROR);
            } else if (stream.end_stream_sent && !stream.inbound_end) {
                // Response complete, request body still coming: ask the client to stop
                // (RFC 9113 8.1). Otherwise on_frame_send does it once END_STREAM went out.
                reset_stream(stream, NGHTTP2_NO_ERROR);
            }
        } else {
            reset_stream(stream, NGHTTP2_CANCEL);
        }
        if (stream.unconsumed > 0) {
            nghttp2_session_consume(session_, stream.id, stream.unconsumed);
            stream.unconsumed = 0;
            signal_write();
        }
    }
    stream.inbound.clear();
    stream.inbound.shrink_to_fit();
}

// ---- nghttp2 callbacks: never throw ---------------------------------------------------------

int H2Connection::on_begin_headers(nghttp2_session*, const nghttp2_frame* frame,
                                   void* user_data) noexcept {
    auto* self = static_cast<H2Connection*>(user_data);
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST ||
        self->role_ != Role::server) {
        return 0;
    }
    try {
        self->streams_.emplace(frame->hd.stream_id,
                               std::make_shared<H2Stream>(frame->hd.stream_id, self->executor_));
    } catch (...) {
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // resets this stream only
    }
    return 0;
}

int H2Connection::on_header(nghttp2_session*, const nghttp2_frame* frame,
                            const std::uint8_t* name_data, std::size_t name_size,
                            const std::uint8_t* value_data, std::size_t value_size, std::uint8_t,
                            void* user_data) noexcept {
    auto* self = static_cast<H2Connection*>(user_data);
    if (frame->hd.type != NGHTTP2_HEADERS) {
        return 0;
    }
    H2Stream* stream = self->find(frame->hd.stream_id);
    if (stream == nullptr || stream->headers_too_large) {
        return 0;
    }
    try {
        // RFC 9113 6.5.2: name + value + 32 per field. Past the limit the block is still
        // decoded (HPACK state is per connection) but not kept; the server answers 431.
        stream->header_bytes += name_size + value_size + 32;
        if (stream->header_bytes > self->settings_.max_header_list) {
            stream->headers_too_large = true;
            return 0;
        }
        const std::string_view name(reinterpret_cast<const char*>(name_data), name_size);
        const std::string_view value(reinterpret_cast<const char*>(value_data), value_size);
        const bool trailer = stream->head_complete;
        if (!name.empty() && name.front() == ':') {
            // nghttp2 already checked that pseudo-headers are valid and only in the head.
            if (name == ":method") {
                stream->method = value;
            } else if (name == ":path") {
                stream->path = value;
            } else if (name == ":authority") {
                stream->authority = value;
            } else if (name == ":scheme") {
                stream->scheme = value;
            } else if (name == ":status") {
                std::from_chars(value.data(), value.data() + value.size(), stream->status);
            }
            return 0;
        }
        (trailer ? stream->trailers : stream->headers).add(std::string(name), std::string(value));
    } catch (...) {
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    return 0;
}

int H2Connection::on_frame_recv(nghttp2_session*, const nghttp2_frame* frame,
                                void* user_data) noexcept {
    auto* self = static_cast<H2Connection*>(user_data);
    try {
        switch (frame->hd.type) {
            case NGHTTP2_HEADERS: {
                const auto it = self->streams_.find(frame->hd.stream_id);
                if (it == self->streams_.end()) {
                    return 0;
                }
                auto& stream = *it->second;
                const bool end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
                if (!stream.head_complete) {
                    if (self->role_ == Role::client && stream.status >= 100 &&
                        stream.status < 200) {
                        // An interim response (100 Continue, 103): the real one follows.
                        stream.status = 0;
                        stream.headers = Headers{};
                        stream.header_bytes = 0;
                        return 0;
                    }
                    stream.head_complete = true;
                    stream.inbound_end = stream.inbound_end || end;
                    if (self->role_ == Role::server) {
                        self->on_request(it->second);
                    }
                } else {
                    stream.inbound_end = stream.inbound_end || end;
                }
                stream.readable.notify();
                return 0;
            }
            case NGHTTP2_DATA:
                if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
                    if (H2Stream* stream = self->find(frame->hd.stream_id)) {
                        stream->inbound_end = true;
                        stream->readable.notify();
                    }
                }
                return 0;
            case NGHTTP2_GOAWAY:
                self->goaway_received_ = true;
                return 0;
            default:
                return 0;
        }
    } catch (...) {
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
}

int H2Connection::on_data_chunk_recv(nghttp2_session* session, std::uint8_t, std::int32_t stream_id,
                                     const std::uint8_t* data, std::size_t size,
                                     void* user_data) noexcept {
    auto* self = static_cast<H2Connection*>(user_data);
    H2Stream* stream = self->find(stream_id);
    if (stream == nullptr || stream->detached) {
        nghttp2_session_consume(session, stream_id, size);  // nobody will read it
        return 0;
    }
    try {
        stream->inbound.append(reinterpret_cast<const char*>(data), size);
    } catch (...) {
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    stream->unconsumed += size;
    stream->readable.notify();
    return 0;
}

int H2Connection::on_frame_send(nghttp2_session* session, const nghttp2_frame* frame,
                                void* user_data) noexcept {
    auto* self = static_cast<H2Connection*>(user_data);
    if ((frame->hd.type != NGHTTP2_DATA && frame->hd.type != NGHTTP2_HEADERS) ||
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) {
        return 0;
    }
    H2Stream* stream = self->find(frame->hd.stream_id);
    if (stream == nullptr) {
        return 0;
    }
    stream->end_stream_sent = true;
    if (self->role_ == Role::server && stream->detached && !stream->inbound_end &&
        !stream->reset_sent) {
        // The response is complete and nobody reads the rest of the request (see detach()).
        stream->reset_sent = true;
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream->id, NGHTTP2_NO_ERROR);
    }
    return 0;
}

int H2Connection::on_stream_close(nghttp2_session* session, std::int32_t stream_id,
                                  std::uint32_t error_code, void* user_data) noexcept {
    auto* self = static_cast<H2Connection*>(user_data);
    const auto it = self->streams_.find(stream_id);
    if (it == self->streams_.end()) {
        return 0;
    }
    const auto stream = std::move(it->second);
    self->streams_.erase(it);
    stream->closed = true;
    stream->error_code = error_code;
    if (stream->unconsumed > 0) {
        // The stream window is gone with the stream, but the connection window must get these
        // bytes back or it shrinks for good.
        nghttp2_session_consume_connection(session, stream->unconsumed);
        stream->unconsumed = 0;
    }
    stream->outbound.clear();
    stream->outbound_bytes = 0;
    stream->readable.notify();
    stream->writable.notify();
    if (self->busy_count() == 0 && self->settings_.idle_timeout.count() > 0) {
        self->poke_watchdog(self->last_activity_ + self->settings_.idle_timeout);
    }
    return 0;
}

ssize_t H2Connection::read_outbound(nghttp2_session* session, std::int32_t stream_id,
                                    std::uint8_t* buffer, std::size_t length,
                                    std::uint32_t* data_flags, nghttp2_data_source* source,
                                    void*) noexcept {
    auto* stream = static_cast<H2Stream*>(source->ptr);
    std::size_t copied = 0;
    while (copied < length && !stream->outbound.empty()) {
        const auto& front = stream->outbound.front();
        const auto take = std::min(length - copied, front.size() - stream->outbound_offset);
        std::memcpy(buffer + copied, front.data() + stream->outbound_offset, take);
        copied += take;
        stream->outbound_offset += take;
        if (stream->outbound_offset == front.size()) {
            stream->outbound.pop_front();
            stream->outbound_offset = 0;
        }
    }
    stream->outbound_bytes -= copied;
    if (copied > 0) {
        stream->send_progress = H2Clock::now();
        stream->writable.notify();
    }
    if (stream->outbound.empty() && stream->outbound_end) {
        *data_flags |= NGHTTP2_DATA_FLAG_EOF;
        stream->provider_eof = true;
        if (!stream->out_trailers.empty()) {
            *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
            try {
                const auto nva = to_nv(stream->out_trailers);
                if (nghttp2_submit_trailer(session, stream_id, nva.data(), nva.size()) != 0) {
                    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
                }
            } catch (...) {
                return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // resets this stream only
            }
        }
        return static_cast<ssize_t>(copied);
    }
    if (copied == 0) {
        stream->deferred = true;  // send_data() resumes it
        return NGHTTP2_ERR_DEFERRED;
    }
    return static_cast<ssize_t>(copied);
}

}  // namespace pm::rpc::detail
