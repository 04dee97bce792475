#!/usr/bin/env python3
"""A real browser against minihttp-server: headless Chromium loads index.html twice in one
session; the second load must be a revalidation answered 304 Not Modified.

    tests/browser/revalidate.py SERVER_BINARY RESOURCES_DIR

Drives Chromium through the DevTools protocol with a minimal WebSocket client (stdlib only).
Exit status: 0 pass, 1 fail, 77 Chromium is not installed (the caller decides what that means).
"""
import base64
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

DEADLINE = 60  # seconds for the whole test


class WebSocket:
    """Just enough of RFC 6455 for a DevTools client: text frames, masked, no extensions."""

    def __init__(self, url):
        m = re.match(r"ws://([^:/]+):(\d+)(/.*)", url)
        host, port, path = m.group(1), int(m.group(2)), m.group(3)
        self.sock = socket.create_connection((host, port), timeout=DEADLINE)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("websocket handshake: connection closed")
            head += chunk
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError("websocket handshake refused: " + head.split(b"\r\n")[0].decode())
        self.buf = head.split(b"\r\n\r\n", 1)[1]

    def send(self, text):
        data = text.encode()
        header = bytes([0x81])
        n = len(data)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("websocket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(n)
            opcode = b0 & 0x0F
            if opcode == 0x8:
                raise RuntimeError("websocket closed by the browser")
            if opcode in (0x9, 0xA):  # ping / pong: ignore
                continue
            message += payload
            if b0 & 0x80:
                return message.decode()


class DevTools:
    def __init__(self, url):
        self.ws = WebSocket(url)
        self.next_id = 0
        self.events = []

    def call(self, method, session=None, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, name, deadline):
        while time.monotonic() < deadline:
            for i, e in enumerate(self.events):
                if e.get("method") == name:
                    return self.events.pop(i)
            self.events.append(json.loads(self.ws.recv()))
        raise RuntimeError(f"timed out waiting for {name}")


def start_server(binary, docroot):
    proc = subprocess.Popen([binary, "0", "--docroot", docroot], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline()
    m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
    if not m:
        proc.kill()
        raise RuntimeError(f"server did not start: {line!r}")
    return proc, int(m.group(1))


def start_chromium(profile):
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        return None, None
    # The flags of the machine notes: no sandbox as root, and no background networking (the
    # network is closed here).
    proc = subprocess.Popen(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        m = re.search(r"DevTools listening on (ws://\S+)", line)
        if m:
            return proc, m.group(1)
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError("Chromium did not start its DevTools endpoint")


def main():
    binary, resources = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="minihttp-browser-")
    server = chrome = None
    try:
        docroot = os.path.join(work, "www")
        shutil.copytree(resources, docroot)
        server, port = start_server(binary, docroot)
        chrome, ws_url = start_chromium(os.path.join(work, "profile"))
        if chrome is None:
            print("chromium is not installed")
            return 77
        devtools = DevTools(ws_url)
        target = devtools.call("Target.createTarget", url="about:blank")["targetId"]
        session = devtools.call("Target.attachToTarget", targetId=target,
                                flatten=True)["sessionId"]
        devtools.call("Page.enable", session=session)
        devtools.call("Network.enable", session=session)
        url = f"http://127.0.0.1:{port}/index.html"
        deadline = time.monotonic() + DEADLINE
        statuses = []
        for _ in range(2):  # the same page twice in one browser session
            devtools.events.clear()
            devtools.call("Page.navigate", session=session, url=url)
            devtools.wait_event("Page.loadEventFired", deadline)
            # The status as it came off the network: responseReceived reports a revalidated
            # page as the cached 200, its ExtraInfo carries the 304 the server sent.
            ids = {e["params"]["requestId"] for e in devtools.events
                   if e.get("method") == "Network.requestWillBeSent"
                   and e["params"]["request"]["url"] == url}
            deadline_extra = time.monotonic() + 5
            seen = []
            while not seen and time.monotonic() < deadline_extra:
                seen = [e["params"]["statusCode"] for e in devtools.events
                        if e.get("method") == "Network.responseReceivedExtraInfo"
                        and e["params"]["requestId"] in ids]
                if not seen:
                    devtools.events.append(json.loads(devtools.ws.recv()))
            statuses.append(seen[0] if seen else None)
        print("index.html statuses:", statuses)
        server.terminate()
        log = server.communicate(timeout=10)[0]
        if statuses[0] != 200 or statuses[1] != 304:
            print("FAIL: expected 200, then 304 (a revalidation)")
            print(log)
            return 1
        if "Response: 304 Not Modified" not in log:
            print("FAIL: the server did not log a 304")
            print(log)
            return 1
        print("ok: the second load was revalidated with 304")
        return 0
    finally:
        for p in (chrome, server):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
