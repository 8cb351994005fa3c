#include "shell_runner.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace pm::agent {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Everything the child needs, built before fork(): between fork() and exec() only
// async-signal-safe calls are allowed, so no allocation happens there.
struct ExecPlan {
    std::vector<std::string> argv_text;
    std::vector<std::string> env_text;
    std::vector<char*> argv;
    std::vector<char*> envp;

    explicit ExecPlan(const ShellCommand& command) {
        argv_text = {command.interpreter, "-c", command.script};
        for (char** entry = environ; *entry != nullptr; ++entry) {
            const std::string_view text(*entry);
            const auto name = text.substr(0, text.find('='));
            if (!command.environment.contains(std::string(name))) {
                env_text.emplace_back(text);
            }
        }
        for (const auto& [name, value] : command.environment) {
            env_text.push_back(name + "=" + value);
        }
        for (auto& arg : argv_text) {
            argv.push_back(arg.data());
        }
        argv.push_back(nullptr);
        for (auto& variable : env_text) {
            envp.push_back(variable.data());
        }
        envp.push_back(nullptr);
    }
};

asio::awaitable<void> pump(asio::posix::stream_descriptor& pipe, OutputStream which,
                           std::string& captured, std::size_t limit, const OutputSink& sink) {
    std::array<char, 16384> buffer{};
    for (;;) {
        const auto [error, n] = co_await pipe.async_read_some(asio::buffer(buffer), kTuple);
        if (error || n == 0) {
            co_return;  // end of output (or cancelled by the timeout)
        }
        const std::string_view piece(buffer.data(), n);
        if (captured.size() < limit) {
            captured.append(piece.substr(0, limit - captured.size()));
        }
        sink(which, piece);
    }
}

int exit_code_of(int status) {
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

}  // namespace

asio::awaitable<ShellOutcome> run_shell(const ShellCommand& command, std::chrono::seconds timeout,
                                        std::size_t capture_limit, OutputSink sink,
                                        std::function<void(int pid)> on_started) {
    ShellOutcome outcome;
    const ExecPlan plan(command);
    std::array<int, 2> out{-1, -1};
    std::array<int, 2> err{-1, -1};
    if (::pipe2(out.data(), O_CLOEXEC) != 0 || ::pipe2(err.data(), O_CLOEXEC) != 0) {
        outcome.error = std::string("cannot create pipes: ") + std::strerror(errno);
        for (int fd : {out[0], out[1], err[0], err[1]}) {
            if (fd >= 0) {
                ::close(fd);
            }
        }
        co_return outcome;
    }
    const char* directory =
        command.working_directory.empty() ? nullptr : command.working_directory.c_str();
    const pid_t pid = ::fork();
    if (pid == 0) {
        // The child: its own process group, so a timeout kills everything the script started.
        ::setpgid(0, 0);
        ::signal(SIGPIPE, SIG_DFL);  // the agent ignores it; a script must not inherit that
        const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        ::dup2(devnull, STDIN_FILENO);
        ::dup2(out[1], STDOUT_FILENO);
        ::dup2(err[1], STDERR_FILENO);
        // Nothing else of the agent reaches the script: not its TLS connection, not any file
        // it holds (descriptors without close-on-exec would otherwise be inherited).
        if (::close_range(3, ~0U, 0) != 0) {
            for (int fd = 3; fd < 1024; ++fd) {
                ::close(fd);
            }
        }
        if (directory != nullptr && ::chdir(directory) != 0) {
            constexpr char kMessage[] = "pm-agent: cannot enter the working directory\n";
            [[maybe_unused]] auto written = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
            ::_exit(126);
        }
        ::execve(plan.argv[0], plan.argv.data(), plan.envp.data());
        constexpr char kMessage[] = "pm-agent: cannot execute the interpreter\n";
        [[maybe_unused]] auto written = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
        ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    auto executor = co_await asio::this_coro::executor;
    asio::posix::stream_descriptor out_pipe(executor, out[0]);
    asio::posix::stream_descriptor err_pipe(executor, err[0]);
    if (pid < 0) {
        outcome.error = std::string("cannot start a process: ") + std::strerror(errno);
        co_return outcome;
    }
    ::setpgid(pid, pid);  // also from here, so the group exists before anyone may kill it
    outcome.started = true;
    on_started(pid);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    asio::steady_timer timer(executor, deadline);
    const auto first =
        co_await ((pump(out_pipe, OutputStream::out, outcome.stdout_text, capture_limit, sink) &&
                   pump(err_pipe, OutputStream::err, outcome.stderr_text, capture_limit, sink)) ||
                  timer.async_wait(kTuple));
    if (first.index() == 1) {
        outcome.timed_out = true;
        ::kill(-pid, SIGKILL);
    }
    // The output ended; the process may still run (it closed its output, or a child of it
    // holds the pipe): wait for it until the deadline, polling cheaply.
    int status = 0;
    for (;;) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid || (done < 0 && errno != EINTR)) {
            break;
        }
        if (std::chrono::steady_clock::now() >= deadline && !outcome.timed_out) {
            outcome.timed_out = true;
            ::kill(-pid, SIGKILL);
        }
        timer.expires_after(std::chrono::milliseconds(10));
        co_await timer.async_wait(kTuple);
    }
    outcome.exit_code = exit_code_of(status);
    co_return outcome;
}

}  // namespace pm::agent
