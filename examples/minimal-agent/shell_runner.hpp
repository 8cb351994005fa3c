#pragma once
/// @file
/// @brief Running one script as a child process: `<interpreter> -c <script>` in its own process
/// group, stdin from /dev/null, stdout and stderr read as they come, killed (the whole group)
/// when the timeout passes or stop() is called.
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

namespace pm::agent {

/// What to run.
struct ShellCommand {
    std::string interpreter = "/bin/sh";             ///< called as `<interpreter> -c <script>`
    std::string script;                              ///< the script text
    std::string working_directory;                   ///< empty = the agent's own
    std::map<std::string, std::string> environment;  ///< added to the agent's environment
};

/// Which output stream a piece of output came from.
enum class OutputStream { out, err };

/// How a run ended.
struct ShellOutcome {
    bool started = false;     ///< false if the process could not be created (see error)
    bool timed_out = false;   ///< killed because the timeout passed
    int exit_code = -1;       ///< exit status, or 128 + signal number if killed by a signal
    std::string stdout_text;  ///< captured stdout, at most the cap given
    std::string stderr_text;  ///< captured stderr, at most the cap given
    std::string error;        ///< why it could not start
};

/// Called with each piece of output as it is read (never more than 16 KiB at once).
using OutputSink = std::function<void(OutputStream, std::string_view)>;

/// Runs `command` on the calling coroutine's executor; `sink` sees the output live and each
/// stream is also captured up to `capture_limit` bytes. `on_started` gets the child's pid
/// (its process group), so that the caller can kill it when the agent stops.
boost::asio::awaitable<ShellOutcome> run_shell(const ShellCommand& command,
                                               std::chrono::seconds timeout,
                                               std::size_t capture_limit, OutputSink sink,
                                               std::function<void(int pid)> on_started);

}  // namespace pm::agent
