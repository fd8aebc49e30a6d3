#!/usr/bin/env python3
"""check_http.py - infusiond's HTTP API checked end to end (docs/http-api.md), against a running
infusiond whose one pump (a pumpd panel on the broker) this script drives through its command
FIFO: routes, errors, the stream, the alarm acknowledgement, and bad input on the HTTP port.

usage: check_http.py BASE_URL PUMP_ID PUMP_FIFO IDLE_TIMEOUT_S
Prints one "FAIL: ..." line per failed check and "check_http: N passed, M failed"; exits 1 when
any check failed. Only 127.0.0.1 is ever contacted.
"""
import http.client
import json
import socket
import sys
import threading
import time
import urllib.parse

BASE, PUMP, FIFO, IDLE_S = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
HOST, PORT = urllib.parse.urlsplit(BASE).hostname, urllib.parse.urlsplit(BASE).port
assert HOST == "127.0.0.1", HOST
n_pass = 0
n_fail = 0


def check(name, ok, detail=""):
    global n_pass, n_fail
    if ok:
        n_pass += 1
    else:
        n_fail += 1
        print("FAIL: %s%s" % (name, (": " + str(detail)[:400]) if detail != "" else ""))
    return ok


def request(method, path, body=None, headers=None):
    """(status, headers dict (lower-case names), body bytes); the path is sent as given."""
    conn = http.client.HTTPConnection(HOST, PORT, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        res = conn.getresponse()
        return res.status, {k.lower(): v for k, v in res.getheaders()}, res.read()
    finally:
        conn.close()


def get_json(path, want=200, method="GET", body=None):
    status, hdrs, data = request(method, path, body,
                                 {"Content-Type": "application/json"} if body else None)
    check("%s %s: status %d" % (method, path, want), status == want, "got %d %r" % (status, data[:200]))
    check("%s %s: JSON content type" % (method, path),
          hdrs.get("content-type", "").startswith("application/json"), hdrs.get("content-type"))
    try:
        return json.loads(data)
    except ValueError as err:
        check("%s %s: JSON body" % (method, path), False, "%s: %r" % (err, data[:200]))
        return None


def error_of(path, want, method="GET", body=None):
    doc = get_json(path, want, method, body)
    check("%s %s: {error} body" % (method, path),
          isinstance(doc, dict) and isinstance(doc.get("error"), str) and doc["error"], doc)
    return doc


def pump_cmd(*lines):
    with open(FIFO, "w") as f:
        f.write("".join(line + "\n" for line in lines))


def wait_until(fn, timeout_s):
    end = time.time() + timeout_s
    while time.time() < end:
        value = fn()
        if value:
            return value
        time.sleep(0.2)
    return None


class Stream:
    """A raw-socket reader of /api/v1/stream collecting (event, data) pairs in a thread."""

    def __init__(self):
        self.sock = socket.create_connection((HOST, PORT), timeout=60)
        self.sock.sendall(b"GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Accept: text/event-stream\r\n\r\n")
        self.events = []
        self.raw = b""
        self.closed = False
        self.head = None
        self.lock = threading.Lock()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        buf = b""
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                buf += data
                if self.head is None and b"\r\n\r\n" in buf:
                    self.head, buf = buf.split(b"\r\n\r\n", 1)
                if self.head is not None:
                    self._parse(buf)
        except OSError:
            pass
        self.closed = True

    def _parse(self, buf):
        # Chunked framing is stripped loosely: the SSE lines we look for never span chunks in
        # a way that matters here, and chunk-size lines are not "event:"/"data:" lines.
        text = buf.decode("utf-8", "replace")
        events = []
        name = None
        for line in text.replace("\r\n", "\n").split("\n"):
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: ") and name is not None:
                try:
                    events.append((name, json.loads(line[6:])))
                except ValueError:
                    pass  # the rest of this line is in a later chunk
                name = None
        with self.lock:
            self.events = events
            self.raw = buf

    def find(self, fn):
        with self.lock:
            return [e for e in self.events if fn(e)]

    def close(self):
        self.sock.close()


def channel_state(pump):
    chans = (pump.get("state") or {}).get("channels") or []
    return chans[0]["state"] if chans else None


def main():
    # ---- health, metrics -------------------------------------------------------------------
    health = wait_until(lambda: (lambda d: d if d.get("mqtt") == "connected" else None)(
        json.loads(request("GET", "/healthz")[2])), 20)
    check("healthz: mqtt connected", health is not None)
    health = get_json("/healthz")
    check("healthz: status and store ok", health and health["status"] == "ok" and
          health["store"] == "ok", health)
    status, hdrs, body = request("GET", "/metrics")
    text = body.decode()
    check("metrics: 200 text/plain", status == 200 and hdrs["content-type"].startswith("text/plain"))
    for needle in ("\ninfusiond_http_requests_total ", "# TYPE infusiond_commit_us summary",
                   'infusiond_event_to_sse_us{quantile="0.99"} ', "\ninfusiond_pumps_known ",
                   "\ninfusiond_pumps_online ", "\ninfusiond_sse_clients ",
                   "# TYPE infusiond_outbox_depth gauge"):
        check("metrics has %r" % needle.strip(), needle in text)

    # ---- routing errors ----------------------------------------------------------------------
    error_of("/api/v1/pumps/NO-SUCH-PUMP", 404)
    error_of("/api/v1/pumps/bad!id", 404)
    error_of("/api/v1/pumps/%s/nothing" % PUMP, 404)
    error_of("/api/v1/nothing", 404)
    error_of("/api", 404)
    error_of("/no-such-file.html", 404)
    doc = error_of("/api/v1/pumps", 405, method="POST", body="{}")
    status, hdrs, _ = request("DELETE", "/healthz")
    check("DELETE /healthz: 405 with Allow", status == 405 and "GET" in hdrs.get("allow", ""), status)
    status, hdrs, _ = request("HEAD", "/api/v1/stream")
    check("HEAD on the stream: 405 Allow GET", status == 405 and hdrs.get("allow") == "GET", status)
    status, hdrs, _ = request("GET", "/api/v1/alarms/%s/1/ack" % PUMP)
    check("GET on ack: 405 Allow POST", status == 405 and hdrs.get("allow") == "POST", status)
    error_of("/api/v1/pumps?x=1", 400)
    error_of("/api/v1/events?from=yesterday", 400)
    error_of("/api/v1/events?to=2026-13-01", 400)
    error_of("/api/v1/events?from=2026-02-30T00:00:00Z", 400)
    error_of("/api/v1/events?bogus=1", 400)
    error_of("/api/v1/events?limit=0", 400)
    error_of("/api/v1/events?limit=1001", 400)
    error_of("/api/v1/events?type=Bad-Type", 400)
    error_of("/api/v1/events?pump_id=", 400)
    error_of("/api/v1/orders?limit=abc", 400)
    orders = get_json("/api/v1/orders?limit=5")
    check("orders: an array", isinstance(orders, list), orders)

    # ---- static files ------------------------------------------------------------------------
    status, hdrs, body = request("GET", "/")
    check("/: index.html", status == 200 and hdrs["content-type"].startswith("text/html") and
          b'data-testid="pump-grid"' in body, (status, body[:100]))
    check("/: CSP self only", "default-src 'self'" in hdrs.get("content-security-policy", ""))
    for path, ctype in (("/app.js", "text/javascript"), ("/style.css", "text/css"),
                        ("/favicon.svg", "image/svg+xml")):
        status, hdrs, body = request("GET", path)
        check("%s: 200 %s" % (path, ctype), status == 200 and
              hdrs["content-type"].startswith(ctype) and len(body) > 0, (status, hdrs))
    status, hdrs, body = request("HEAD", "/app.js")
    check("HEAD /app.js: 200, no body", status == 200 and body == b"", (status, body[:50]))
    for path in ("/../README.md", "/%2e%2e/README.md", "/a/../../README.md", "//etc/passwd",
                 "/.hidden", "/..%2fREADME.md", "/x%5c..%5cREADME.md"):
        status, _, body = request("GET", path)
        check("traversal %s refused" % path, status == 404 and b"README" not in body, status)
    status, _, _ = request("GET", "/index.html%00.txt")
    check("encoded NUL: 400", status == 400, status)
    error_of("/app.js", 405, method="POST", body="{}")

    # ---- the stream and a pump that starts infusing -------------------------------------------
    stream = Stream()
    snap = wait_until(lambda: stream.find(lambda e: e[0] == "snapshot"), 10)
    check("stream: snapshot first", snap and isinstance(snap[0][1].get("pumps"), list), snap)
    check("stream: content type", stream.head is not None and
          b"text/event-stream" in stream.head.lower(), stream.head)
    pump_cmd("entry GH-WARD-NS", "mode fluid", "dose 100", "vtbi 500", "program", "confirm",
             "start")
    running = wait_until(lambda: stream.find(
        lambda e: e[0] == "pump" and e[1]["pump_id"] == PUMP and channel_state(e[1]) == "running"),
        30)
    check("stream: pump event with state running", running, stream.raw[-300:])
    pump = get_json("/api/v1/pumps/%s" % PUMP)
    check("pump: running, online", pump and pump["online"] and channel_state(pump) == "running", pump)
    chans = get_json("/api/v1/pumps/%s/channels" % PUMP)
    check("channels: rate 100 mL/h", chans and chans[0]["rate_nl_per_h"] == 100000000, chans)
    pumps = get_json("/api/v1/pumps")
    check("pumps: lists the pump", any(p["pump_id"] == PUMP for p in pumps or []), pumps)

    # ---- an alarm and its acknowledgement --------------------------------------------------------
    pump_cmd("fault door_open")
    raised = wait_until(lambda: stream.find(
        lambda e: e[0] == "alarm" and e[1]["step"] == "raised" and
        e[1]["alarm"]["alarm"] == "door_open"), 30)
    check("stream: alarm raised event", raised, stream.raw[-300:])
    alarms = get_json("/api/v1/alarms")
    mine = [a for a in alarms or [] if a["pump_id"] == PUMP and a["alarm"] == "door_open"]
    check("alarms: door_open listed, not acked", len(mine) == 1 and not mine[0]["acked"], alarms)
    if not mine:
        return
    alarm = mine[0]
    seq = alarm["raised_seq"]
    check("alarms: priority high", alarm["priority"] == "high", alarm)
    check("alarms: alarm_id", alarm["alarm_id"] == "%s/%d" % (PUMP, seq), alarm)
    only = get_json("/api/v1/alarms?pump_id=%s" % PUMP)
    check("alarms?pump_id: that pump only", only and all(a["pump_id"] == PUMP for a in only), only)
    check("alarms?pump_id=other: empty", get_json("/api/v1/alarms?pump_id=P-NONE") == [])
    ack = "/api/v1/alarms/%s/%d/ack" % (PUMP, seq)
    error_of(ack, 400, "POST", "not json")
    error_of(ack, 400, "POST", "[]")
    error_of(ack, 400, "POST", "{}")
    error_of(ack, 400, "POST", '{"user":""}')
    error_of(ack, 400, "POST", json.dumps({"user": "x" * 65}))
    error_of(ack, 400, "POST", json.dumps({"user": "a\nb"}))
    error_of(ack, 400, "POST", '{"user":"a","user":"b"}')
    error_of("/api/v1/alarms/%s/%d/ack" % (PUMP, seq + 100000), 404, "POST", '{"user":"x"}')
    error_of("/api/v1/alarms/%s/abc/ack" % PUMP, 404, "POST", '{"user":"x"}')
    error_of("/api/v1/alarms/P-NONE/%d/ack" % seq, 404, "POST", '{"user":"x"}')
    still = get_json("/api/v1/alarms?pump_id=%s" % PUMP)
    check("bad acks changed nothing", still and not still[0]["acked"], still)
    done = get_json(ack, 200, "POST", json.dumps({"user": "nurse-anna"}))
    check("ack: acked by the user", done and done["acked"] and done["acked_by"] == "nurse-anna" and
          isinstance(done["acked_ms"], int), done)
    error_of(ack, 409, "POST", json.dumps({"user": "nurse-ben"}))
    after = get_json("/api/v1/alarms?pump_id=%s" % PUMP)
    check("alarms: shows acked", after and after[0]["acked"] and
          after[0]["acked_by"] == "nurse-anna", after)
    acked = wait_until(lambda: stream.find(
        lambda e: e[0] == "alarm" and e[1]["step"] == "acked" and e[1]["alarm"]["raised_seq"] == seq),
        10)
    check("stream: acked event", acked and acked[0][1]["alarm"]["acked_by"] == "nurse-anna", acked)

    # ---- events --------------------------------------------------------------------------------
    events = get_json("/api/v1/events?pump_id=%s" % PUMP)
    check("events: the pump's records", events and all(e["pump_id"] == PUMP for e in events),
          (events or [])[:2])
    typed = get_json("/api/v1/events?pump_id=%s&type=alarm" % PUMP)
    check("events?type=alarm", typed and all(e["type"] == "alarm" for e in typed), typed)
    check("events?limit=1", len(get_json("/api/v1/events?pump_id=%s&limit=1" % PUMP) or []) == 1)
    check("events?from=future: none",
          get_json("/api/v1/events?pump_id=%s&from=9999-01-01" % PUMP) == [])
    check("events?to=1970-01-01T00:00:00.001Z: none",
          get_json("/api/v1/events?pump_id=%s&to=1970-01-01T00:00:00.001Z" % PUMP) == [])
    if events:
        wall = events[0]["wall_ms"]
        same = get_json("/api/v1/events?pump_id=%s&from=%d&to=%d" % (PUMP, wall, wall + 1))
        check("events from..to one ms", same and all(e["wall_ms"] == wall for e in same), same)

    # ---- bad input on the HTTP port; everyone else is still served ----------------------------
    def raw(data, read=True):
        s = socket.create_connection((HOST, PORT), timeout=IDLE_S + 10)
        s.sendall(data)
        out = s.recv(200) if read else None
        return s, out

    s, out = raw(b"\x16\x03\x01garbage that is not HTTP\r\n\r\n")
    check("garbage: 400", out.startswith(b"HTTP/1.1 400"), out)
    s.close()
    s, out = raw(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n")
    check("oversized headers: 4xx", out[:10] in (b"HTTP/1.1 4", b"HTTP/1.0 4") or
          out.startswith(b"HTTP/1.1 4"), out)
    s.close()
    s, out = raw(b"POST " + ack.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n"
                 + b"{" * 1000)
    check("oversized body: 413", out.startswith(b"HTTP/1.1 413"), out)
    s.close()
    t0 = time.time()
    s, _ = raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n", read=False)
    try:
        out = s.recv(100)
    except OSError as err:
        out = str(err).encode()
    took = time.time() - t0
    check("half-open request closed after the idle timeout", out == b"" and took < IDLE_S + 8,
          (out, took))
    s.close()
    health = get_json("/healthz")
    check("still served after bad input", health and health["status"] == "ok")
    # The stream outlived the idle timeout: the pump's heartbeat still arrives on it.
    n_before = len(stream.find(lambda e: e[0] == "pump"))
    more = wait_until(lambda: len(stream.find(lambda e: e[0] == "pump")) > n_before, 20)
    check("stream alive past the idle timeout", more and not stream.closed,
          "closed" if stream.closed else "no pump event")
    status, _, body = request("GET", "/metrics")
    text = body.decode()
    check("metrics: one stream client", "\ninfusiond_sse_clients 1\n" in text,
          [l for l in text.split("\n") if "sse" in l])
    stream.close()
    check("metrics: stream client gone", wait_until(lambda: b"\ninfusiond_sse_clients 0\n" in
                                                    request("GET", "/metrics")[2], 10))


if __name__ == "__main__":
    try:
        main()
    except Exception as err:  # an unexpected answer shape is a failure, not a crash
        check("unexpected error", False, repr(err))
    print("check_http: %d passed, %d failed" % (n_pass, n_fail))
    sys.exit(1 if n_fail else 0)
