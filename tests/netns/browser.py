#!/usr/bin/env python3
"""Open pages in a real headless Chromium and say how each one ended.

    browser.py --profile DIR [--timeout SECONDS] [--pin NAME=ADDR]... URL...

Chromium (Debian's /usr/bin/chromium) runs as root in the caller's network
namespace, so run this under `ip netns exec`.  DIR is a throwaway home and
profile: $DIR/home/.pki/nssdb must already trust the test CA.  The browser
is driven over the DevTools protocol on a pipe (--remote-debugging-pipe:
NUL-separated JSON on fds 3 and 4), so no port is opened and no module
beyond the standard library is needed.  --pin maps a name to an address
inside the browser (--host-resolver-rules), with no DNS lookup at all.

One line per URL, its time measured from just before the navigation (the
browser's own start-up is not counted):

    URL loaded MS ip=ADDR title=TEXT
    URL error MS net::ERR_NAME_NOT_RESOLVED
    URL timeout MS

and a final "browser: done".  Exit status 0 unless the browser itself
could not be driven (start-up failure, protocol error): 2.
"""

import argparse
import fcntl
import json
import os
import select
import subprocess
import sys
import time

CHROMIUM = "/usr/bin/chromium"
STARTUP_TIMEOUT = 60.0	# a loaded 2-core machine starts Chromium slowly


class BrowserError(Exception):
    pass


class Pipe:
    """The DevTools protocol over Chromium's debugging pipe."""

    def __init__(self, wfd, rfd):
        self.wfd, self.rfd = wfd, rfd
        self.buf = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session is not None:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self.wfd, data):]
        return self.next_id

    def read(self, deadline):
        """The next message, or None once the deadline has passed."""
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.rfd], [], [], left)
            if not ready:
                return None
            chunk = os.read(self.rfd, 1 << 16)
            if not chunk:
                raise BrowserError("chromium closed the debugging pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None, timeout=30.0):
        """Send a command and wait for its answer; events seen meanwhile
        are kept for wait_event."""
        mid = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            msg = self.read(deadline)
            if msg is None:
                raise BrowserError("no answer to %s" % method)
            if msg.get("id") == mid:
                if "error" in msg:
                    raise BrowserError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_event(self, want, deadline):
        """The first kept or new message (event or answer) for which
        want(msg) is true."""
        for i, msg in enumerate(self.events):
            if want(msg):
                return self.events.pop(i)
        while True:
            msg = self.read(deadline)
            if msg is None:
                return None
            if want(msg):
                return msg
            self.events.append(msg)


def start(profile, pins):
    home = os.path.join(profile, "home")
    env = dict(os.environ, HOME=home)
    # Chromium reads commands on its fd 3 and answers on its fd 4: move
    # the child's ends above 10 first, so the dup2s cannot clobber them.
    cmd_r, cmd_w = os.pipe()
    ans_r, ans_w = os.pipe()
    child_r = fcntl.fcntl(cmd_r, fcntl.F_DUPFD_CLOEXEC, 10)
    child_w = fcntl.fcntl(ans_w, fcntl.F_DUPFD_CLOEXEC, 10)
    for fd in (cmd_r, ans_w):
        os.close(fd)

    def to_3_and_4():
        os.dup2(child_r, 3)
        os.dup2(child_w, 4)

    # QUIC and the built-in DoH stay on, as a user has them: the sites send
    # no Alt-Svc, so Chromium never tries QUIC, and it upgrades to DoH only
    # for resolvers it knows, which ours are not.  The test then sees the
    # lookups a real browser makes.
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
            "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync",
            "--remote-debugging-pipe",
            "--user-data-dir=" + os.path.join(profile, "chromium")]
    if pins:
        rules = ("MAP %s %s" % (n, "[%s]" % a if ":" in a else a)
                 for n, a in (p.split("=", 1) for p in pins))
        args.append("--host-resolver-rules=" + ", ".join(rules))
    args.append("about:blank")
    with open(os.path.join(profile, "chromium.log"), "ab") as log:
        # close_fds would close 3 and 4 after preexec_fn; Python's own
        # descriptors are not inheritable anyway.
        proc = subprocess.Popen(args, env=env, preexec_fn=to_3_and_4,
                                close_fds=False, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=log)
    os.close(child_r)
    os.close(child_w)
    return proc, Pipe(cmd_w, ans_r)


def open_tab(pipe):
    target = pipe.call("Target.createTarget", {"url": "about:blank"},
                       timeout=STARTUP_TIMEOUT)["targetId"]
    session = pipe.call("Target.attachToTarget",
                        {"targetId": target, "flatten": True})["sessionId"]
    pipe.call("Page.enable", session=session)
    pipe.call("Network.enable", session=session)
    return session


def visit(pipe, session, url, timeout):
    """Navigate and wait for the page's load event or its error."""
    pipe.events.clear()
    t0 = time.monotonic()
    deadline = t0 + timeout

    def ms():
        return int((time.monotonic() - t0) * 1000)

    mid = pipe.send("Page.navigate", {"url": url}, session)
    nav = pipe.wait_event(lambda m: m.get("id") == mid, deadline)
    if nav is None:
        return "timeout %d" % ms()
    if "error" in nav:
        raise BrowserError("Page.navigate: %s" % nav["error"])
    res = nav.get("result", {})
    if res.get("errorText"):
        return "error %d %s" % (ms(), res["errorText"])
    loader = res.get("loaderId")
    resp = pipe.wait_event(
        lambda m: m.get("method") == "Network.responseReceived" and
        m["params"].get("loaderId") == loader and
        m["params"].get("type") == "Document", deadline)
    if resp is None:
        return "timeout %d" % ms()
    load = pipe.wait_event(lambda m: m.get("method") == "Page.loadEventFired",
                           deadline)
    if load is None:
        return "timeout %d" % ms()
    took = ms()
    ip = resp["params"]["response"].get("remoteIPAddress", "").strip("[]")
    # A late load event of the page before (an error page) can stand in
    # for this one's on a loaded machine: read the text once this
    # document is complete, or at the deadline.
    expr = ("document.readyState === 'complete' && location.href === %s"
            " && document.body ? document.body.innerText : ''" %
            json.dumps(resp["params"]["response"].get("url", url)))
    while True:
        body = pipe.call("Runtime.evaluate",
                         {"expression": expr, "returnByValue": True}, session)
        text = " ".join(str(body.get("result", {}).get("value", "")).split())
        if text or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    return "loaded %d ip=%s text=%s" % (took, ip, text[:80])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", required=True)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--pin", action="append", default=[])
    ap.add_argument("urls", nargs="+")
    a = ap.parse_args()
    proc, pipe = start(a.profile, a.pin)
    rc = 0
    try:
        session = open_tab(pipe)
        for url in a.urls:
            print(url, visit(pipe, session, url, a.timeout), flush=True)
        try:
            pipe.call("Browser.close", timeout=5)
        except BrowserError:
            pass
    except BrowserError as e:
        print("browser: %s" % e, file=sys.stderr, flush=True)
        rc = 2
    finally:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    print("browser: done", flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
