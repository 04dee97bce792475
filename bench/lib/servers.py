"""The servers bench/run compares: their configurations, and starting, measuring and stopping
them.

Every server is started in the foreground, pinned with `taskset -c CPU`, in its own session (so
Ctrl+C on bench/run reaches only bench/run, which then stops the servers), with the open-file
limit raised to the hard limit. Its process group id is written to a pid file that bench/run's
exit trap reads: a server is never left running, even if this script is killed.

All serve the same document root on 127.0.0.1 with keep-alive, without access logs, with one
worker, with the per-connection request limits raised (where the server has one), and with
TCP_DEFER_ACCEPT on the listener: h2o sets it by default, the others are configured to
(nginx `deferred`, lighttpd `server.defer-accept`, minihttp-server `--defer-accept`).
"""

import http.client
import os
import resource
import signal
import socket
import subprocess
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_children():
    """{ppid: [pid, ...]} over every process of the machine."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def process_tree(pid):
    """pid and all its descendants (nginx's workers, for instance)."""
    children = proc_children()
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, []))
    return tree


def cpu_ticks(pids):
    """utime + stime of the processes (all their threads), in clock ticks."""
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5)
    return total


def status_field(pid, name):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(name + ":"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def rss_kib(pids):
    total = 0
    for p in pids:
        v = status_field(p, "VmRSS")
        if v:
            total += int(v.split()[0])
    return total


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Server:
    """One server process (tree) under test."""

    def __init__(self, name, argv, ctx, *, stdout=None, ready_path="/1k.html", port=None,
                 kind=None):
        self.name = name
        self.kind = kind or name
        self.argv = argv
        self.ctx = ctx
        self.port = port
        self.stdout_path = stdout
        self.ready_path = ready_path
        self.proc = None
        self.stderr_path = os.path.join(ctx.out, "logs", f"{name}.stderr")

    @property
    def pid(self):
        return self.proc.pid

    def pids(self):
        return process_tree(self.proc.pid)

    def cpu_ticks(self):
        return cpu_ticks(self.pids())

    def rss_kib(self):
        return rss_kib(self.pids())

    def affinity(self):
        return sorted({status_field(p, "Cpus_allowed_list") or "?" for p in self.pids()})

    def start(self, timeout=15):
        os.makedirs(os.path.dirname(self.stderr_path), exist_ok=True)
        out = open(self.stdout_path, "ab") if self.stdout_path else subprocess.DEVNULL
        err = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(
            [*self.ctx.nice_prefix(), "taskset", "-c", str(self.ctx.server_cpu), *self.argv],
            stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=self.ctx.out,
            start_new_session=True, preexec_fn=raise_nofile)
        if out is not subprocess.DEVNULL:
            out.close()
        err.close()
        self.ctx.track(self.proc.pid)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if self.probe():
                return self
            time.sleep(0.05)
        tail = open(self.stderr_path, errors="replace").read()[-2000:]
        self.stop()
        raise RuntimeError(f"{self.name} did not start ({' '.join(self.argv)}):\n{tail}")

    def probe(self):
        """True once GET ready_path answers 200."""
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
            c.request("GET", self.ready_path, headers={"Host": f"127.0.0.1:{self.port}"})
            r = c.getresponse()
            r.read()
            c.close()
            return r.status == 200
        except OSError:
            return False

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        # Whatever is left of the process group (workers, helpers) goes with SIGKILL.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.ctx.untrack(self.proc.pid)
        self.proc = None


# ---- configurations -----------------------------------------------------------------------

def nginx(ctx, name="nginx", open_file_cache=False, deferred=True, header_timeout=None):
    """header_timeout (s): client_header_timeout, from accept to the complete request head
    (nginx's default is 60 s); deferred=False: no TCP_DEFER_ACCEPT (bench/attack's silent
    connections must reach the server)."""
    port = free_port()
    d = os.path.join(ctx.out, name)
    os.makedirs(os.path.join(d, "tmp"), exist_ok=True)
    ofc = ("    open_file_cache max=1000 inactive=60s;\n"
           "    open_file_cache_valid 60s;\n"
           "    open_file_cache_errors on;\n") if open_file_cache else ""
    hto = f"    client_header_timeout {header_timeout}s;\n" if header_timeout else ""
    conf = f"""# generated by bench/run
user root;
worker_processes 1;
worker_rlimit_nofile {ctx.max_fds};
daemon off;
master_process on;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{
    worker_connections {ctx.max_fds};
    use epoll;
}}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 1000000000;
    keepalive_timeout 300s;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
{ofc}{hto}    server {{
        listen 127.0.0.1:{port} backlog=4096{' deferred' if deferred else ''};
        root {ctx.www};
        location / {{ }}
    }}
}}
"""
    path = os.path.join(d, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    return Server(name, ["nginx", "-p", d, "-e", f"{d}/error.log", "-c", path], ctx, port=port,
                  kind="nginx")


def lighttpd(ctx, deferred=True, read_idle=300):
    """read_idle (s): server.max-read-idle, lighttpd's only timeout for a request being read; it
    restarts with every read, so a client sending a byte now and then is never timed out."""
    port = free_port()
    d = os.path.join(ctx.out, "lighttpd")
    os.makedirs(d, exist_ok=True)
    conf = f"""# generated by bench/run
server.document-root = "{ctx.www}"
server.bind = "127.0.0.1"
server.port = {port}
server.pid-file = "{d}/lighttpd.pid"
server.errorlog = "{d}/error.log"
server.upload-dirs = ( "{d}" )
server.max-worker = 0
server.event-handler = "linux-sysepoll"
server.network-backend = "sendfile"
server.max-fds = {ctx.max_fds}
server.max-connections = {ctx.max_fds // 2}
server.listen-backlog = 4096
server.defer-accept = {1 if deferred else 0}
server.max-keep-alive-requests = 65535
server.max-keep-alive-idle = 300
server.max-read-idle = {read_idle}
index-file.names = ( "index.html" )
mimetype.assign = ( ".html" => "text/html", ".txt" => "text/plain" )
"""
    path = os.path.join(d, "lighttpd.conf")
    with open(path, "w") as f:
        f.write(conf)
    return Server("lighttpd", ["lighttpd", "-D", "-f", path], ctx, port=port)


def h2o(ctx, request_timeout=300):
    """request_timeout (s): http1-request-timeout. h2o 2.2 always sets TCP_DEFER_ACCEPT."""
    port = free_port()
    d = os.path.join(ctx.out, "h2o")
    os.makedirs(d, exist_ok=True)
    conf = f"""# generated by bench/run
listen:
  host: 127.0.0.1
  port: {port}
user: root
num-threads: 1
max-connections: {ctx.max_fds}
http1-request-timeout: {request_timeout}
pid-file: {d}/h2o.pid
error-log: {d}/error.log
hosts:
  default:
    paths:
      /:
        file.dir: {ctx.www}
"""
    path = os.path.join(d, "h2o.conf")
    with open(path, "w") as f:
        f.write(conf)
    return Server("h2o", ["h2o", "-m", "worker", "-c", path], ctx, port=port)


def minihttp(ctx, name="minihttp", threads=1, logging=False, docroot=None, binary=None,
             extra=None):
    """binary: another build of minihttp-server (bench/run --baseline), else ctx.minihttp_bin;
    extra: its options (minihttp_options()), else ctx.minihttp_extra."""
    port = free_port()
    argv = [binary or ctx.minihttp_bin, str(port), "127.0.0.1", str(threads),
            "--docroot", docroot or ctx.www, "--max-connections", str(ctx.max_fds)]
    argv += ctx.minihttp_extra if extra is None else extra
    if not logging:
        argv.append("--quiet")
    stdout = os.path.join(ctx.out, "logs", f"{name}.stdout")
    return Server(name, argv, ctx, port=port, stdout=stdout, kind="minihttp")


def minihttp_options(binary, defer_accept=True):
    """The options bench/run gives a minihttp-server build, as far as its --help offers them:
    no request limit per connection (the spec's 100 would cost a reconnection every 100
    requests) and TCP_DEFER_ACCEPT, as the peers get. None for the request limit means the
    build has no flag for it (it closes every connection after 100 requests)."""
    help_text = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
    if "--max-requests-per-connection" not in help_text:
        return [], 100
    extra = ["--max-requests-per-connection", "1000000000"]
    if defer_accept and "--defer-accept" in help_text:
        extra.append("--defer-accept")
    return extra, None


def floor(ctx):
    port = free_port()
    return Server("floor", [ctx.floor_bin, "--port", str(port)], ctx, port=port)
