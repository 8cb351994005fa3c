#pragma once

// HTTP/2 on nghttp2, driven by Asio coroutines; shared by the server (h2_server) and the client
// (h2_client). nghttp2 does framing, HPACK and flow-control bookkeeping; this layer pumps bytes
// (socket -> nghttp2_session_mem_recv, nghttp2_session_mem_send -> socket), keeps per-stream
// queues, and turns nghttp2's callbacks into wake-ups of the coroutines that wait on them.
//
// Threading: every coroutine and callback of one connection runs on one executor (a strand on
// the server), so there are no locks, and nghttp2 is never re-entered: its callbacks only run
// inside mem_recv/mem_send, which are plain synchronous calls on that executor.
//
// Errors: no exception crosses an nghttp2 callback (each one catches everything and answers
// with an nghttp2 error code); network input that breaks the protocol ends the connection with
// GOAWAY and affects no other connection.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nghttp2/nghttp2.h>

#include <powermanage/rpc/context.hpp>
#include <powermanage/rpc/status.hpp>

#include "rpc/transport.hpp"

namespace pm::rpc::detail {

/// The clock of every HTTP/2 deadline.
using H2Clock = std::chrono::steady_clock;

/// Tuning of one HTTP/2 connection (both roles).
struct H2Settings {
    /// Streams the peer may open at once (SETTINGS_MAX_CONCURRENT_STREAMS).
    std::uint32_t max_concurrent_streams = 256;
    /// Receive window of each stream: a reader that stops reading stops its sender here.
    std::uint32_t stream_window = 1u << 20;
    /// Receive window of the whole connection; larger, so one slow stream does not stall the
    /// others.
    std::uint32_t connection_window = 16u << 20;
    /// Largest inbound header block (SETTINGS_MAX_HEADER_LIST_SIZE, counted as RFC 9113 does).
    std::uint32_t max_header_list = 64u << 10;
    /// Bytes queued per stream before send_data() waits for the peer to take them.
    std::size_t send_buffer = 256u << 10;
    /// Longest time send_data() waits without the peer taking any byte; then the stream is
    /// reset. Also the longest time one socket write may take before the connection is closed.
    std::chrono::milliseconds send_timeout{10000};
    /// Close a connection with no streams that received nothing for this long; 0 = never.
    std::chrono::milliseconds idle_timeout{0};
    /// After begin_shutdown(), in-flight streams get this long before the connection closes.
    std::chrono::milliseconds shutdown_grace{10000};
};

/// Wakes one coroutine of a connection: a notify() before or during wait() ends the wait. Both
/// sides run on the connection's executor.
class H2Signal {
public:
    /// A signal whose timer runs on `executor`.
    explicit H2Signal(const boost::asio::any_io_executor& executor);
    /// Ends the current or the next wait. Never throws.
    void notify() noexcept;
    /// Waits for notify() or until `deadline`; true if notified.
    Task<bool> wait(H2Clock::time_point deadline = H2Clock::time_point::max());

private:
    boost::asio::steady_timer timer_;
    bool notified_ = false;
};

/// One header or trailer field on its way out.
using H2Field = std::pair<std::string, std::string>;

/// One HTTP/2 stream in either role. The connection holds it while nghttp2 knows the stream;
/// whoever serves or issued it (an exchange, a client call) holds it until done with it.
struct H2Stream {
    /// A stream with that id (0 until a client request is submitted).
    H2Stream(std::int32_t stream_id, const boost::asio::any_io_executor& executor);

    std::int32_t id;  ///< the HTTP/2 stream id

    // The head of the inbound message: a request on a server, a response on a client.
    std::string method;              ///< :method
    std::string scheme;              ///< :scheme
    std::string authority;           ///< :authority
    std::string path;                ///< :path, with the query
    int status = 0;                  ///< :status
    Headers headers;                 ///< the regular fields
    Headers trailers;                ///< inbound trailers
    std::size_t header_bytes = 0;    ///< header block size as SETTINGS_MAX_HEADER_LIST_SIZE counts
    bool headers_too_large = false;  ///< over the limit; answered with 431
    bool head_complete = false;      ///< the (final) inbound header block has arrived

    // The inbound body.
    std::string inbound;         ///< DATA received and not yet read
    std::size_t unconsumed = 0;  ///< bytes not yet given back to the flow-control windows
    bool inbound_end = false;    ///< END_STREAM received

    // The outbound body.
    std::deque<std::string> outbound;   ///< queued, not yet taken by nghttp2
    std::size_t outbound_offset = 0;    ///< how much of outbound.front() was taken
    std::size_t outbound_bytes = 0;     ///< queued bytes in all
    bool head_sent = false;             ///< response headers / request submitted
    bool provider_attached = false;     ///< a data provider is registered with nghttp2
    bool deferred = false;              ///< the provider answered NGHTTP2_ERR_DEFERRED
    bool outbound_end = false;          ///< the application ended its side
    bool provider_eof = false;          ///< the provider reported EOF to nghttp2
    std::vector<H2Field> out_trailers;  ///< trailers to send after the body
    bool end_stream_sent = false;       ///< a frame with END_STREAM went out
    H2Clock::time_point send_progress;  ///< last time nghttp2 took outbound bytes

    // Lifecycle.
    bool closed = false;                      ///< nghttp2 closed it, or the connection ended
    bool connection_failed = false;           ///< closed because the connection ended
    std::uint32_t error_code = 0;             ///< the RST_STREAM code (NGHTTP2_NO_ERROR when clean)
    bool detached = false;                    ///< its owner is done; inbound data is dropped
    bool reset_sent = false;                  ///< this side reset it (nghttp2 closes it once sent)
    H2Signal readable;                        ///< inbound head, data, end or close
    H2Signal writable;                        ///< room in the outbound queue, or close
    boost::asio::cancellation_signal cancel;  ///< terminal cancellation of its exchange
};

/// The Connect/gRPC code for an RST_STREAM error code (as the gRPC HTTP/2 mapping has it).
Code code_for_h2_error(std::uint32_t error_code);

/// One HTTP/2 connection. Create it with std::make_shared; run() drives it. All member
/// functions must be called on its executor.
class H2Connection : public std::enable_shared_from_this<H2Connection> {
public:
    /// Which side of the connection this is.
    enum class Role { server, client };

    /// A connection over `stream`; everything of it runs on `executor`.
    H2Connection(Role role, boost::asio::any_io_executor executor, AnyStream stream,
                 H2Settings settings);
    /// Frees the nghttp2 session (run() has finished by then).
    virtual ~H2Connection();
    H2Connection(const H2Connection&) = delete;
    H2Connection& operator=(const H2Connection&) = delete;

    /// Runs the connection: sends its SETTINGS, feeds `initial_bytes` (read before the
    /// connection was handed over) to nghttp2, then reads until the connection ends, and
    /// returns once every task of it (writer, watchdog, exchanges) has finished. Terminal
    /// cancellation closes the connection at once and cancels its exchanges. Never throws.
    Task<void> run(std::string initial_bytes);

    /// The executor everything runs on.
    const boost::asio::any_io_executor& executor() const { return executor_; }
    /// True once the connection is closed.
    bool closed() const { return closed_; }
    /// True once the peer sent GOAWAY (no new streams should start).
    bool goaway_received() const { return goaway_received_; }
    /// A SETTINGS value the peer sent (or its default until then).
    std::uint32_t remote_setting(nghttp2_settings_id id) const;

    /// The next inbound body bytes (all that are buffered), or nullopt after END_STREAM. Gives
    /// the bytes back to the flow-control windows, so a reader that stops reading stops the
    /// peer. Throws RpcError (code_for_h2_error, or unavailable when the connection ended) if
    /// the stream was reset before its end.
    Task<std::optional<std::string>> read_data(H2Stream& stream);
    /// Waits until the inbound head arrived; false if the stream closed first.
    Task<bool> wait_head(H2Stream& stream);
    /// Queues body bytes; `end` ends this side (after trailers, if any were set). Waits while
    /// more than H2Settings::send_buffer bytes are queued; resets the stream and returns false
    /// when the peer took nothing for H2Settings::send_timeout. False if the stream is gone.
    Task<bool> send_data(H2Stream& stream, std::string data, bool end);
    /// Server: submits the response head; `end` means no body. False if the stream is gone.
    bool submit_response(H2Stream& stream, int status, const Headers& headers, bool end);
    /// Server: ends the response with trailers once queued data went out. False if the stream
    /// is gone or its end was already sent.
    bool submit_trailers(H2Stream& stream, const Headers& trailers);
    /// Client: submits a request; `end` means no body. Nullptr if the connection cannot take
    /// new streams (closed, GOAWAY received, or nghttp2 refused).
    std::shared_ptr<H2Stream> submit_request(const std::vector<H2Field>& pseudo_and_headers,
                                             bool end);
    /// Resets the stream with `error_code` (NGHTTP2_CANCEL, ...).
    void reset_stream(H2Stream& stream, std::uint32_t error_code);
    /// The owner is done with the stream: an unfinished response is reset (INTERNAL_ERROR on a
    /// server, CANCEL on a client), buffered and later inbound data is dropped and given back to
    /// the flow-control windows.
    void detach(H2Stream& stream);

    /// Graceful shutdown (server): GOAWAY now, in-flight streams continue, the connection ends
    /// when they are done or after H2Settings::shutdown_grace.
    void begin_shutdown();
    /// Client: sends GOAWAY and closes once it went out.
    void terminate();
    /// Closes the socket now and fails every stream; `cancel_exchanges` also cancels the
    /// exchanges' coroutines (terminal cancellation).
    void close_now(bool cancel_exchanges);
    /// Waits until run() has finished.
    Task<void> wait_finished();
    /// The error a failed stream reports: unavailable when the connection ended, else the
    /// code for its RST_STREAM.
    static RpcError stream_failure(const H2Stream& stream);

protected:
    /// Server: a request's header block arrived. Called inside nghttp2_session_mem_recv, so it
    /// only queues the stream; start_requests() runs after mem_recv returned.
    virtual void on_request(std::shared_ptr<H2Stream> stream);
    /// Server: start serving the requests queued by on_request (called after mem_recv).
    virtual void start_requests();
    /// Terminal-cancels the exchanges (server).
    virtual void cancel_exchanges();

    /// Another task of this connection started (run() waits for it).
    void task_started() { ++tasks_; }
    /// A task ended.
    void task_finished();
    /// Streams nghttp2 still knows plus exchanges still running: not idle while non-zero.
    std::size_t busy_count() const { return streams_.size() + exchanges_running_; }
    /// An exchange started (a connection with one running is not idle).
    void exchange_started() { ++exchanges_running_; }
    /// An exchange ended.
    void exchange_finished();

private:
    static int on_begin_headers(nghttp2_session*, const nghttp2_frame*, void*) noexcept;
    static int on_header(nghttp2_session*, const nghttp2_frame*, const std::uint8_t*, std::size_t,
                         const std::uint8_t*, std::size_t, std::uint8_t, void*) noexcept;
    static int on_frame_recv(nghttp2_session*, const nghttp2_frame*, void*) noexcept;
    static int on_data_chunk_recv(nghttp2_session*, std::uint8_t, std::int32_t, const std::uint8_t*,
                                  std::size_t, void*) noexcept;
    static int on_frame_send(nghttp2_session*, const nghttp2_frame*, void*) noexcept;
    static int on_stream_close(nghttp2_session*, std::int32_t, std::uint32_t, void*) noexcept;
    static ssize_t read_outbound(nghttp2_session*, std::int32_t, std::uint8_t*, std::size_t,
                                 std::uint32_t*, nghttp2_data_source*, void*) noexcept;

    void create_session();
    bool feed(const char* data, std::size_t size);
    void signal_write() noexcept { write_signal_.notify(); }
    void poke_watchdog(H2Clock::time_point deadline) noexcept;
    Task<void> write_loop();
    Task<void> watchdog();
    H2Stream* find(std::int32_t id) const;
    void consume(H2Stream& stream, std::size_t bytes);
    void resume(H2Stream& stream);

    Role role_;
    boost::asio::any_io_executor executor_;
    AnyStream stream_;
    H2Settings settings_;
    nghttp2_session* session_ = nullptr;
    std::unordered_map<std::int32_t, std::shared_ptr<H2Stream>> streams_;

    H2Signal write_signal_;
    H2Signal watchdog_signal_;
    H2Signal tasks_signal_;
    H2Clock::time_point watchdog_deadline_ = H2Clock::time_point::max();
    H2Clock::time_point last_activity_;
    H2Clock::time_point write_started_;
    H2Clock::time_point shutdown_started_;
    std::size_t tasks_ = 0;
    std::size_t exchanges_running_ = 0;
    bool writing_ = false;
    bool closed_ = false;
    bool goaway_received_ = false;
    bool shutting_down_ = false;
    bool final_goaway_sent_ = false;
    bool terminating_ = false;
    bool shutdown_pending_ = false;
    bool terminate_pending_ = false;
    bool finished_ = false;
    H2Signal finished_signal_;
};

}  // namespace pm::rpc::detail
