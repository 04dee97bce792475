// minihttp-server: the spec's file-and-upload server (docs/spec.md; docs/spec-mapping.md maps
// it to the code) rebuilt on minihttp. Static files with an extension allow-list and download mode,
// JSON uploads stored atomically through a bounded pool, Host and method checks, limits, timeouts
// and logging in the spec's format. See README.md, section "The example server".
//
//   minihttp-server [PORT] [HOST] [MAX_THREADS] [--docroot DIR] [--max-connections N]
//                   [--max-connections-per-client N] [--max-requests-per-connection N]
//                   [--chunked-files] [--defer-accept] [--quiet] [--allow-host NAME]...
#include <minihttp.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#ifndef MINIHTTP_EXAMPLE_RESOURCES
#define MINIHTTP_EXAMPLE_RESOURCES "resources"
#endif

namespace {

constexpr std::string_view usage = R"(usage: minihttp-server [PORT] [HOST] [MAX_THREADS] [options]

Serves the files of a document root and accepts JSON uploads at POST /upload.

  PORT                  TCP port, 0-65535 (default 8080; 0 picks a free port)
  HOST                  address to bind (default 127.0.0.1; e.g. 0.0.0.0, ::1)
  MAX_THREADS           event-loop workers and upload threads, 1-1024 (default 10)

options:
  --docroot DIR         document root (default: the example's resources/)
  --max-connections N   open connections before new ones get 503 (default 10000); the
                        soft descriptor limit is raised to fit, within the hard one
  --max-connections-per-client N
                        open connections from one address before its new ones get 503
                        (default: no limit)
  --max-requests-per-connection N
                        requests on one keep-alive connection; the last response says
                        "Connection: close" (default 100, as the spec)
  --chunked-files       send files with chunked transfer coding, as the spec does
                        (default: Content-Length and sendfile)
  --defer-accept        accept a connection only once its request bytes arrive
                        (TCP_DEFER_ACCEPT: cheaper under connection churn; silent
                        connections wait in the kernel, uncounted, for about a second)
  --allow-host NAME     also accept this Host name (repeatable)
  --quiet               log only start-up, shutdown and refusals
  --liveness PATH       answer GET PATH with 200 while the server runs
  --readiness PATH      answer GET PATH with 200, and with 503 from the moment a shutdown
                        starts (see --drain-grace)
  --drain-grace SECONDS with --readiness: on SIGTERM/SIGINT keep serving this long while the
                        readiness path answers 503, so that a load balancer's health check
                        sees it before connections are refused (default 5; 0-3600; a second
                        signal cuts it short)
  --access-log-json FILE
                        also log every exchange as a JSON line to FILE (appended; - for
                        standard output): time, client, method, target, status, bytes,
                        duration_us, user_agent. Written with --quiet too
  -h, --help            show this help

Only .html .txt .png .jpg .jpeg are served (415 otherwise); .txt and images are sent as
downloads. Uploads go to DOCROOT/uploads. Ctrl+C or SIGTERM stops the server gracefully.
)";

struct config {
    std::uint16_t port = 8080;
    std::string host = "127.0.0.1";
    unsigned threads = 10;
    std::string docroot;
    std::size_t max_connections = 10'000;
    std::size_t max_connections_per_client = 0;
    std::size_t max_requests_per_connection = 100;
    bool chunked_files = false;
    bool quiet = false;
    bool defer_accept = false;
    std::vector<std::string> allow_hosts;
    std::string access_log_json;     // "" none, "-" standard output
    std::string liveness, readiness; // "" off
    unsigned drain_grace = 5;        // seconds, with a readiness path only
};

[[noreturn]] void bad_usage(const std::string& message) {
    std::fprintf(stderr, "minihttp-server: %s\nTry 'minihttp-server --help'.\n", message.c_str());
    std::exit(2);
}

template <class T>
T parse_number(std::string_view text, T min, T max, const char* what) {
    T value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max)
        bad_usage(std::string("invalid ") + what + " '" + std::string(text) + "' (expected " +
                  std::to_string(min) + "-" + std::to_string(max) + ")");
    return value;
}

config parse_args(int argc, char** argv) {
    config c;
    std::vector<std::string_view> positional;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&](std::string_view flag) -> std::string_view {
            if (arg.size() > flag.size() && arg[flag.size()] == '=')
                return arg.substr(flag.size() + 1);
            if (i + 1 >= argc) bad_usage(std::string(flag) + " needs a value");
            return argv[++i];
        };
        auto is = [&](std::string_view flag) {
            return arg == flag ||
                   (arg.starts_with(flag) && arg.size() > flag.size() && arg[flag.size()] == '=');
        };
        if (arg == "-h" || arg == "--help") {
            std::fwrite(usage.data(), 1, usage.size(), stdout);
            std::exit(0);
        } else if (is("--docroot")) {
            c.docroot = value("--docroot");
        } else if (is("--max-connections")) {
            c.max_connections = parse_number<std::size_t>(value("--max-connections"), 1, 1'000'000,
                                                          "--max-connections");
        } else if (is("--max-connections-per-client")) {
            c.max_connections_per_client =
                parse_number<std::size_t>(value("--max-connections-per-client"), 1, 1'000'000,
                                          "--max-connections-per-client");
        } else if (is("--max-requests-per-connection")) {
            c.max_requests_per_connection =
                parse_number<std::size_t>(value("--max-requests-per-connection"), 1, 1'000'000'000,
                                          "--max-requests-per-connection");
        } else if (is("--access-log-json")) {
            c.access_log_json = value("--access-log-json");
            if (c.access_log_json.empty()) bad_usage("--access-log-json needs a file name");
        } else if (is("--liveness")) {
            c.liveness = value("--liveness");
            if (!c.liveness.starts_with('/')) bad_usage("--liveness wants a path starting with /");
        } else if (is("--readiness")) {
            c.readiness = value("--readiness");
            if (!c.readiness.starts_with('/'))
                bad_usage("--readiness wants a path starting with /");
        } else if (is("--drain-grace")) {
            c.drain_grace =
                parse_number<unsigned>(value("--drain-grace"), 0, 3600, "--drain-grace");
        } else if (is("--allow-host")) {
            c.allow_hosts.emplace_back(value("--allow-host"));
        } else if (arg == "--chunked-files") {
            c.chunked_files = true;
        } else if (arg == "--quiet") {
            c.quiet = true;
        } else if (arg == "--defer-accept") {
            c.defer_accept = true;
        } else if (arg.starts_with("-") && arg != "-") {
            bad_usage("unknown option '" + std::string(arg) + "'");
        } else {
            positional.push_back(arg);
        }
    }
    if (positional.size() > 3) bad_usage("too many arguments");
    if (positional.size() > 0)
        c.port = parse_number<std::uint16_t>(positional[0], 0, 65535, "port");
    if (positional.size() > 1) {
        c.host = positional[1];
        if (c.host.empty()) bad_usage("empty host");
    }
    if (positional.size() > 2)
        c.threads = parse_number<unsigned>(positional[2], 1, 1024, "MAX_THREADS");
    if (c.docroot.empty()) {
        struct stat st {};
        c.docroot =
            ::stat(MINIHTTP_EXAMPLE_RESOURCES, &st) == 0 ? MINIHTTP_EXAMPLE_RESOURCES : "resources";
    }
    struct stat st {};
    if (::stat(c.docroot.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        bad_usage("document root '" + c.docroot + "' is not a directory");
    return c;
}

// The spec's load indicator: green while there is room, yellow near capacity, red when every
// thread is busy.
std::string pool_status(const http::pool_load& l) {
    const char* light = l.active >= l.threads                              ? "\U0001F534"
                        : (l.active * 10 >= l.threads * 8 || l.queued > 0) ? "\U0001F7E1"
                                                                           : "\U0001F7E2";
    return std::string(light) + " Thread pool: " + std::to_string(l.active) + "/" +
           std::to_string(l.threads) + " active | Queue: " + std::to_string(l.queued) + "/" +
           std::to_string(l.queue_capacity);
}

std::string url_host(const std::string& host) {
    return host.find(':') != std::string::npos && host.front() != '[' ? "[" + host + "]" : host;
}

} // namespace

// Raises the soft descriptor limit to what --max-connections needs (two descriptors a
// connection at most, while a file is sent, plus some), within the hard limit. Debian's
// default soft limit, 1,024, would otherwise cap the default 10,000 connections at about a
// thousand, with EMFILE on accept beyond. A server's job, not the library's: it is process-wide.
void raise_descriptor_limit(std::size_t max_connections) {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    const rlim_t want = static_cast<rlim_t>(2 * max_connections + 256);
    if (rl.rlim_cur >= want || rl.rlim_cur == RLIM_INFINITY) return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? want : std::min(want, rl.rlim_max);
    (void)::setrlimit(RLIMIT_NOFILE, &rl); // at worst the old limit stays
}

int main(int argc, char** argv) {
    const config cfg = parse_args(argc, argv);
    raise_descriptor_limit(cfg.max_connections);

    // SIGINT and SIGTERM are taken by a thread of ours (sigwait), so logging and stopping
    // happen outside a signal handler. Blocked before any thread starts, so all inherit it.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    ::pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    http::logger log;
    const auto say = log.sink();
    // The JSON access log: its own writer thread, lines without the spec's prefix.
    int json_fd = -1;
    if (cfg.access_log_json == "-") {
        json_fd = STDOUT_FILENO;
    } else if (!cfg.access_log_json.empty()) {
        json_fd =
            ::open(cfg.access_log_json.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (json_fd < 0) {
            std::fprintf(stderr, "minihttp-server: cannot open %s: %s\n",
                         cfg.access_log_json.c_str(), std::strerror(errno));
            return 1;
        }
    }
    std::optional<http::logger> json_log;
    if (json_fd >= 0) json_log.emplace(http::logger_options{.fd = json_fd, .prefix = false});
    // Per-request lines are dropped with --quiet; refusals and errors never are.
    const std::function<void(std::string_view)> chatty =
        cfg.quiet ? std::function<void(std::string_view)>{} : say;
    // The policies' logs mix per-request events with refusals: --quiet keeps the refusals.
    const auto policy_log = [say, quiet = cfg.quiet](std::string_view m) {
        if (!quiet || (!m.starts_with("Starting binary") && !m.starts_with("Completed file") &&
                       !m.starts_with("File not found") && !m.starts_with("Upload saved")))
            say(m);
    };

    http::blocking_options pool;
    pool.threads = cfg.threads;
    pool.queue = 50; // the spec's connection queue
    pool.error_log = say;
    if (!cfg.quiet) pool.on_load = [say](const http::pool_load& l) { say(pool_status(l)); };

    // First in the chain: a health checker's probe need not pass the Host check. Empty paths
    // (the default) make it answer nothing.
    const http::health health({.liveness = cfg.liveness, .readiness = cfg.readiness});
    http::chain app{
        health,
        http::security({.bind_host = cfg.host,
                        .extra_hosts = cfg.allow_hosts,
                        .log = say,
                        .log_accepted = !cfg.quiet}),
        http::blocking(http::json_upload({.route = "/upload",
                                          .directory = cfg.docroot + "/uploads",
                                          .public_prefix = "/uploads/",
                                          .log = policy_log}),
                       std::move(pool)),
        http::static_files({.root = cfg.docroot,
                            .extensions = {"html", "txt", "png", "jpg", "jpeg"},
                            .download = {"txt", "png", "jpg", "jpeg"},
                            .chunked = cfg.chunked_files,
                            .log = policy_log,
                            .log_transfers = !cfg.quiet}),
    };

    http::server_options opts;
    opts.threads = cfg.threads;
    opts.max_connections = cfg.max_connections;
    opts.max_connections_per_client = cfg.max_connections_per_client;
    opts.max_requests_per_connection = cfg.max_requests_per_connection;
    opts.defer_accept = cfg.defer_accept;
    opts.error_log = say;
    opts.on_refusal = [say](const http::refusal& r) {
        say("Refused: " + std::to_string(http::to_int(r.status)) + " " +
            std::string(http::reason_phrase(r.status)) + " (" + std::string(r.reason) + ") from " +
            r.peer.address());
    };
    if (!cfg.quiet || json_log)
        opts.access_log = [say, quiet = cfg.quiet, &json_log](const http::access_entry& e) {
            if (!quiet)
                http::log_to(say, "Response: ", http::to_int(e.status), ' ',
                             http::reason_phrase(e.status), " (", e.body_bytes,
                             " bytes transferred", e.complete ? "" : ", connection lost", ')');
            if (json_log) json_log->log(http::access_json(e, std::chrono::system_clock::now()));
        };

    auto handler = [&app, chatty](const http::request& r) {
        if (chatty)
            http::log_to(chatty, "Request: ", r.method_name(), ' ', r.target(), " HTTP/1.",
                         r.version_minor(), " from ", r.remote().address());
        return app(r);
    };
    http::server srv(handler, opts);
    if (const auto ec = srv.listen(cfg.host, cfg.port)) {
        std::fprintf(stderr, "minihttp-server: cannot listen on %s:%u: %s\n", cfg.host.c_str(),
                     static_cast<unsigned>(cfg.port), ec.message().c_str());
        return 1;
    }

    say("HTTP Server started on http://" + url_host(cfg.host) + ":" + std::to_string(srv.port()));
    say("Thread pool size: " + std::to_string(cfg.threads));
    say("Serving files from '" + cfg.docroot + "' directory");
    say("Press Ctrl+C to stop the server");

    std::atomic<bool> finished{false}, signalled{false};
    std::thread signals([&] {
        int sig = 0;
        if (sigwait(&stop_signals, &sig) != 0 || finished) return;
        signalled = true;
        say("Shutting down server...");
        health.set_ready(false);
        if (!cfg.readiness.empty() && cfg.drain_grace > 0) {
            // Still serving while the readiness path answers 503; a second signal ends it.
            say("Draining: " + cfg.readiness + " answers 503; stopping in " +
                std::to_string(cfg.drain_grace) + " s");
            const timespec grace{static_cast<time_t>(cfg.drain_grace), 0};
            while (::sigtimedwait(&stop_signals, nullptr, &grace) < 0 && errno == EINTR) {}
        }
        srv.stop(); // in-flight responses finish first (shutdown_timeout)
    });
    srv.run();
    finished = true;
    if (!signalled) ::pthread_kill(signals.native_handle(), SIGTERM); // wake the sigwait
    signals.join();
    log.flush();
    if (json_log) json_log->flush();
    return 0;
}
