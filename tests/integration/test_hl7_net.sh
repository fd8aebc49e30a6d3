#!/bin/sh
# test_hl7_net.sh - `infusionctl hl7 send` and `hl7 listen` against each other and against small
# scripted peers: original and enhanced mode ACKs, several messages per file, mismatched and
# error ACKs, timeouts, TLS (server verification, mutual TLS) and bad input to the listener
# (garbage, truncated, oversized and binary frames, bad escapes, idle peers).
# Every server listens on 127.0.0.1 on a port the system picks and is stopped by its PID.
. "$(dirname "$0")/lib.sh"

if ! command -v python3 >/dev/null 2>&1; then
    echo "FAIL: python3 is needed for the scripted MLLP peers"
    exit 1
fi

# ---- a scripted MLLP peer (client that sends raw bytes, or a misbehaving server) ------------
PEER="$TMP/mllp_peer.py"
cat >"$PEER" <<'PY'
import socket, sys, time
VT, FS, CR = b"\x0b", b"\x1c", b"\r"

def show(data):
    # every frame received, its segments on their own lines; bytes outside frames as a note
    out = []
    while data:
        s = data.find(VT)
        if s < 0:
            out.append("OUTSIDE %d bytes" % len(data)); break
        e = data.find(FS + CR, s)
        if e < 0:
            out.append("PARTIAL %d bytes" % (len(data) - s)); break
        out.append("FRAME")
        out.extend(seg.decode("latin-1") for seg in data[s + 1:e].split(CR) if seg)
        data = data[e + 2:]
    print("\n".join(out))

def client(port, path, mode, wait_s):
    payload = open(path, "rb").read()
    c = socket.create_connection(("127.0.0.1", port), timeout=wait_s)
    c.sendall(payload)
    if mode == "close":          # send and hang up (truncated frames)
        c.close(); print("CLOSED"); return
    if mode == "half":           # send, then say we are done writing, read to the end
        c.shutdown(socket.SHUT_WR)
    got = b""
    end = time.time() + wait_s
    try:
        while time.time() < end:
            chunk = c.recv(65536)
            if not chunk:
                print("EOF"); break
            got += chunk
            if mode == "one" and got.endswith(FS + CR):
                break
    except socket.timeout:
        print("TIMEOUT")
    except ConnectionResetError:
        print("RESET")
    show(got)

def server(port_file, mode, n_conns):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0)); s.listen(4); s.settimeout(30)
    open(port_file + ".tmp", "w").write(str(s.getsockname()[1]))
    import os; os.rename(port_file + ".tmp", port_file)
    for _ in range(n_conns):
        c, _a = s.accept(); c.settimeout(30)
        buf = b""
        while FS + CR not in buf:
            chunk = c.recv(65536)
            if not chunk: break
            buf += chunk
        msg = buf[buf.find(VT) + 1:buf.find(FS)].split(CR)
        ctrl = msg[0].split(b"|")[9] if len(msg[0].split(b"|")) > 9 else b""
        msh = b"MSH|^~\\&|PEER|PEER|X|X|20260101120000+0000||ACK^A01^ACK|P1|P|2.6\r"
        if mode == "mismatch":
            c.sendall(VT + msh + b"MSA|AA|NOT-" + ctrl + b"\r" + FS + CR)
        elif mode == "error":
            c.sendall(VT + msh + b"MSA|AE|" + ctrl + b"\rERR|||207^Application internal error^HL70357|E||||disk full\r" + FS + CR)
        elif mode == "garbage":
            c.sendall(VT + b"this is not HL7" + FS + CR)
        elif mode == "silent":
            try:
                c.recv(1)
            except socket.timeout:
                pass
        c.close()

if sys.argv[1] == "client":
    client(int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5]))
else:
    server(sys.argv[2], sys.argv[3], int(sys.argv[4]))
PY

# peer_client NAME PORT FILE MODE SECONDS: the scripted client; its output in $OUT.
peer_client() {
    run "$1" 0 python3 "$PEER" client "$2" "$3" "$4" "$5"
}

# ---- listener helpers ------------------------------------------------------------------------
LOUT="$TMP/listen.out"
LERR="$TMP/listen.err"
LPID=""
LPORT=""

# start_listener NAME ARGS...: start `hl7 listen --port 0 ARGS` and read its port.
N_LISTENERS=0
start_listener() {
    _n=$1
    shift
    # A new file per listener: the shell truncates the file only when the background process
    # starts, so reading an old file could give the previous listener's port.
    N_LISTENERS=$((N_LISTENERS + 1))
    LOUT="$TMP/listen.$N_LISTENERS.out"
    LERR="$TMP/listen.$N_LISTENERS.err"
    "$CTL" hl7 listen --port 0 "$@" >"$LOUT" 2>"$LERR" &
    LPID=$!
    PIDS="$PIDS $LPID"
    _i=0
    LPORT=""
    while [ $_i -lt 200 ]; do
        LPORT=$(sed -n '1s/^listening on 127\.0\.0\.1:\([0-9][0-9]*\).*$/\1/p' "$LOUT" 2>/dev/null)
        [ -n "$LPORT" ] && break
        if ! kill -0 "$LPID" 2>/dev/null; then
            break
        fi
        sleep 0.05
        _i=$((_i + 1))
    done
    if [ -n "$LPORT" ]; then
        pass
    else
        fail "$_n: the listener printed no 'listening on 127.0.0.1:PORT' line"
        sed 's/^/    listen| /' "$LOUT" "$LERR" | head -n 10
    fi
}

# wait_listener NAME STATUS: wait (at most 20 s) for the listener to exit by itself.
wait_listener() {
    _i=0
    while kill -0 "$LPID" 2>/dev/null && [ $_i -lt 400 ]; do
        sleep 0.05
        _i=$((_i + 1))
    done
    if kill -0 "$LPID" 2>/dev/null; then
        fail "$1: the listener did not exit by itself"
        kill "$LPID" 2>/dev/null
    fi
    wait "$LPID"
    _st=$?
    if [ "$_st" -ne "$2" ]; then
        fail "$1: listener exit status $_st, expected $2"
        sed 's/^/    listen| /' "$LOUT" "$LERR" | tail -n 10
    else
        pass
    fi
    if grep -q -e 'Sanitizer' -e 'runtime error:' "$LERR"; then
        fail "$1: sanitizer report from the listener"
        head -n 20 "$LERR"
    else
        pass
    fi
}

# stop_listener NAME: SIGTERM, then it must exit 0 and say it stopped.
stop_listener() {
    kill -TERM "$LPID" 2>/dev/null
    wait_listener "$1" 0
    has_in "$1: stops on SIGTERM" "$LOUT" "stopped by a signal"
}

lhas() { has_in "$1" "$LOUT" "$2"; }

# ---- messages --------------------------------------------------------------------------------
CR=$(printf '\r')
msg() { # msg CONTROL_ID [MSH-15 MSH-16]: an ADT^A01, CR-terminated segments
    if [ $# -ge 3 ]; then
        _modes="|||$2|$3"
    else
        _modes=""
    fi
    printf 'MSH|^~\\&|TESTAPP|TESTFAC|OI|OI|20260101120000+0000||ADT^A01^ADT_A01|%s|P|2.6%s\r' \
        "$1" "$_modes"
    printf 'PID|1||12345^^^HOSP^MR||Doe^Jane\rPV1|1|I\r'
}
frame() { printf '\013'; cat; printf '\034\r'; }

msg ORIG1 >"$TMP/orig.hl7"
msg ENH1 AL NE >"$TMP/enh.hl7"
msg NOACK1 NE NE >"$TMP/ne.hl7"
# Three messages in one file: LF line ends, a blank line between two of them, none before the
# third (a new MSH starts a new message).
{ msg MULTI1 | tr '\r' '\n'; echo; msg MULTI2 | tr '\r' '\n'; msg MULTI3 | tr '\r' '\n'; } \
    >"$TMP/multi_lf.hl7"
{ msg CRLF1 | sed "s/$CR/$CR\\n/g"; printf '\r\n'; msg CRLF2 | sed "s/$CR/$CR\\n/g"; } \
    >"$TMP/multi_crlf.hl7"
{ printf '\n'; msg FRAMED1 | frame; printf '\n'; msg FRAMED2 AL NE | frame; } >"$TMP/framed.hl7"

# ---- usage -----------------------------------------------------------------------------------
run "listen --help" 0 "$CTL" hl7 listen --help
out_has "listen --help" "--max-frame-bytes"
run "send --help" 0 "$CTL" hl7 send --help
out_has "send --help" "--timeout-ms"
run "listen without --port" 2 "$CTL" hl7 listen
run "listen --tls without a certificate" 2 "$CTL" hl7 listen --port 0 --tls
run "listen bad port" 2 "$CTL" hl7 listen --port 70000
run "send without a file" 2 "$CTL" hl7 send --port 1
run "send without --port" 2 "$CTL" hl7 send "$TMP/orig.hl7"
run "send --cert without --key" 2 "$CTL" hl7 send --port 1 --tls --cert x "$TMP/orig.hl7"

# ---- our client, our server ------------------------------------------------------------------
start_listener "plain"
run "send original mode" 0 "$CTL" hl7 send --port "$LPORT" "$TMP/orig.hl7"
out_has "original mode: ACK printed" "MSA|AA|ORIG1"
out_has "original mode: matched" "ACK AA for ORIG1: matched"
run "send enhanced mode" 0 "$CTL" hl7 send --host 127.0.0.1 --port "$LPORT" "$TMP/enh.hl7"
out_has "enhanced mode: CA" "ACK CA for ENH1: matched"
run "send MSH-15 NE" 0 "$CTL" hl7 send --port "$LPORT" --timeout-ms 2000 "$TMP/ne.hl7"
out_has "MSH-15 NE: no ACK awaited" "no ACK requested for NOACK1"
run "send three messages, LF file" 0 "$CTL" hl7 send --port "$LPORT" "$TMP/multi_lf.hl7"
for id in MULTI1 MULTI2 MULTI3; do
    out_has "LF file: $id" "for $id: matched"
done
out_has "LF file: summary" "3 sent, 3 acknowledged with success"
run "send CRLF file and framed file" 0 "$CTL" hl7 send --port "$LPORT" "$TMP/multi_crlf.hl7" \
    "$TMP/framed.hl7"
for id in "AA for CRLF1" "AA for CRLF2" "AA for FRAMED1" "CA for FRAMED2"; do
    out_has "CRLF + framed files: $id" "ACK $id: matched"
done
for s in "$SHARED/data/hl7/pcd01_ihetf_philips_physio_monitor.hl7" \
    "$SHARED/data/hl7/pcd03_ihetf_ex2_saline_rgv_o15.hl7"; do
    if [ -f "$s" ]; then
        run "send shared sample $(basename "$s")" 0 "$CTL" hl7 send --port "$LPORT" "$s"
        out_has "shared sample $(basename "$s")" ": matched"
    fi
done
lhas "listener prints MSH-9 and MSH-10" "MSH-9 ADT^A01^ADT_A01, MSH-10 ORIG1, segments MSH PID PV1, original mode -> ACK AA"
lhas "listener: enhanced" "MSH-10 ENH1, segments MSH PID PV1, enhanced mode -> ACK CA"
lhas "listener: NE honoured" "MSH-10 NOACK1, segments MSH PID PV1, enhanced mode -> no ACK (MSH-15 NE)"
lhas "listener: framed file" "MSH-10 FRAMED2"

# ---- bad input to the listener ---------------------------------------------------------------
printf 'GET / HTTP/1.0\r\n\r\n' >"$TMP/junk_prefix"
{ cat "$TMP/junk_prefix"; msg AFTERJUNK | frame; } >"$TMP/junk_then_frame"
peer_client "garbage before a frame" "$LPORT" "$TMP/junk_then_frame" one 10
out_has "garbage before a frame: frame still ACKed" "MSA|AA|AFTERJUNK"
lhas "garbage before a frame: counted" "bytes outside a frame discarded"

printf 'hello, this is not HL7 at all' | frame >"$TMP/not_hl7"
peer_client "a frame that is not HL7" "$LPORT" "$TMP/not_hl7" one 10
out_has "not HL7: rejected" "MSA|AR|"
out_has "not HL7: with ERR" "ERR|"
lhas "not HL7: listener says why" "rejected:"

{ msg BADESC1 | sed 's/Doe^Jane/Doe\\Q^Jane/'; } | frame >"$TMP/bad_escape"
peer_client "unterminated escape, original mode" "$LPORT" "$TMP/bad_escape" one 10
out_has "bad escape: AR with MSA-2" "MSA|AR|BADESC1"
out_has "bad escape: ERR-3 102" "ERR|||102"
{ msg BADESC2 AL NE | sed 's/Doe^Jane/Doe\\Q^Jane/'; } | frame >"$TMP/bad_escape_enh"
peer_client "unterminated escape, enhanced mode" "$LPORT" "$TMP/bad_escape_enh" one 10
out_has "bad escape, enhanced: CR" "MSA|CR|BADESC2"

head -c 3000 /dev/urandom | tr -d '\013\034' | frame >"$TMP/binary"
peer_client "binary frame" "$LPORT" "$TMP/binary" one 10
out_has "binary frame: rejected" "MSA|AR|"

{ printf '\013'; msg TRUNC1 | head -c 40; } >"$TMP/truncated"
peer_client "truncated frame" "$LPORT" "$TMP/truncated" close 10
out_has "truncated frame: sent" "CLOSED"

# Two frames in one write, the second split from its FS by nothing: both answered in order.
{ msg PIPE1 | frame; msg PIPE2 | frame; } >"$TMP/two_frames"
peer_client "two frames in one write" "$LPORT" "$TMP/two_frames" half 10
py_check "two frames: two ACKs in order" '
import sys
t = open(sys.argv[1]).read()
a, b = t.find("MSA|AA|PIPE1"), t.find("MSA|AA|PIPE2")
assert 0 <= a < b, t'

run "listener still serves after bad input" 0 "$CTL" hl7 send --port "$LPORT" "$TMP/orig.hl7"
sleep 0.3
lhas "truncated frame reported" "closed by the peer inside a frame"
stop_listener "plain"

# Oversized frames and idle peers, with small limits.
start_listener "limits" --max-frame-bytes 1024 --idle-timeout-ms 300
{ msg BIG1 | sed "s/Doe^Jane/$(head -c 2000 /dev/zero | tr '\0' 'x')/"; } | frame >"$TMP/big"
peer_client "oversized frame" "$LPORT" "$TMP/big" all 10
out_has "oversized frame: rejected" "MSA|AR|"
out_has "oversized frame: says why" "frame larger than 1024 bytes"
out_has "oversized frame: connection closed" "EOF"
peer_client "idle peer inside a frame" "$LPORT" "$TMP/truncated" all 10
out_has "idle peer: closed by the listener" "EOF"
lhas "idle timeout reported" "idle timeout inside a frame"
run "send a too large message" 1 "$CTL" hl7 send --port "$LPORT" --max-frame-bytes 1024 "$TMP/big"
out_has "too large message: not sent" "not sent: larger than 1024 bytes"
stop_listener "limits"

# --count and --once: the listener ends by itself.
start_listener "count" --count 2 --quiet
run "count: first" 0 "$CTL" hl7 send --port "$LPORT" "$TMP/orig.hl7" "$TMP/enh.hl7"
wait_listener "--count 2" 0
start_listener "once" --once
run "once: one connection" 0 "$CTL" hl7 send --port "$LPORT" "$TMP/multi_lf.hl7"
wait_listener "--once" 0
has_in "--once: all three messages" "$LOUT" "MSH-10 MULTI3"

# ---- our client against misbehaving servers --------------------------------------------------
# start_peer_server MODE: the scripted server, one connection; port in $PPORT.
start_peer_server() {
    rm -f "$TMP/pport"
    python3 "$PEER" server "$TMP/pport" "$1" 1 >"$TMP/peer.out" 2>&1 &
    PPID_SRV=$!
    PIDS="$PIDS $PPID_SRV"
    _i=0
    while [ ! -s "$TMP/pport" ] && [ $_i -lt 200 ]; do
        sleep 0.05
        _i=$((_i + 1))
    done
    PPORT=$(cat "$TMP/pport" 2>/dev/null)
}
start_peer_server mismatch
run "mismatched MSA-2" 1 "$CTL" hl7 send --port "$PPORT" "$TMP/orig.hl7"
out_has "mismatch reported" "ACK AA for ORIG1: MISMATCH"
wait "$PPID_SRV"
start_peer_server error
run "error ACK" 1 "$CTL" hl7 send --port "$PPORT" "$TMP/orig.hl7"
out_has "error ACK: code" "ACK AE for ORIG1: matched"
out_has "error ACK: ERR shown" "error: 207 Application internal error: disk full"
wait "$PPID_SRV"
start_peer_server garbage
run "unreadable ACK" 1 "$CTL" hl7 send --port "$PPORT" "$TMP/orig.hl7"
out_has "unreadable ACK reported" "unreadable ACK for ORIG1"
wait "$PPID_SRV"
start_peer_server silent
run "no ACK within the timeout" 1 "$CTL" hl7 send --port "$PPORT" --timeout-ms 500 "$TMP/orig.hl7"
out_has "timeout reported" "no ACK for ORIG1 within 500 ms"
wait "$PPID_SRV"
# A port nobody listens on: the last peer server's port, now closed.
run "connection refused" 2 "$CTL" hl7 send --port "$PPORT" --timeout-ms 2000 "$TMP/orig.hl7"
err_has "connection refused: says so" "cannot connect to 127.0.0.1 port $PPORT"
printf 'MSH|^~\\&|A\rPID|1\rbad segment\r' >"$TMP/malformed.hl7"
start_listener "malformed file"
run "a message we cannot parse is not sent" 1 "$CTL" hl7 send --port "$LPORT" "$TMP/malformed.hl7" \
    "$TMP/orig.hl7"
out_has "malformed: not sent" "message 1: not sent:"
out_has "malformed: the next one is" "ACK AA for ORIG1: matched"
stop_listener "malformed file"

# ---- TLS -------------------------------------------------------------------------------------
if ! command -v openssl >/dev/null 2>&1; then
    fail "openssl command not found (Debian package openssl): TLS not tested"
else
    P="$TMP/pki"
    mkdir -p "$P"
    ossl() { openssl "$@" >>"$P/log" 2>&1 || fail "openssl $1 failed: $(tail -n 3 "$P/log")"; }
    # A throwaway CA, a server certificate for 127.0.0.1/localhost, a client certificate, and a
    # second CA that signed nothing we use.
    ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=oi-test-ca \
        -keyout "$P/ca.key" -out "$P/ca.pem"
    ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj /CN=oi-other-ca -keyout "$P/other.key" -out "$P/other.pem"
    for who in server client; do
        ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=oi-test-$who" \
            -keyout "$P/$who.key" -out "$P/$who.csr"
    done
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$P/server.ext"
    printf 'subjectAltName=DNS:oi-test-client\n' >"$P/client.ext"
    for who in server client; do
        ossl x509 -req -in "$P/$who.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" -CAcreateserial \
            -days 2 -extfile "$P/$who.ext" -out "$P/$who.pem"
    done

    start_listener "tls" --tls --cert "$P/server.pem" --key "$P/server.key"
    lhas "tls: says TLS" "(TLS)"
    run "TLS by address" 0 "$CTL" hl7 send --port "$LPORT" --tls --ca "$P/ca.pem" "$TMP/enh.hl7"
    out_has "TLS by address: matched" "ACK CA for ENH1: matched"
    run "TLS by name" 0 "$CTL" hl7 send --host localhost --port "$LPORT" --tls --ca "$P/ca.pem" \
        "$TMP/multi_lf.hl7"
    out_has "TLS by name: three" "3 sent, 3 acknowledged with success"
    run "TLS, server not trusted" 2 "$CTL" hl7 send --port "$LPORT" --tls --ca "$P/other.pem" \
        "$TMP/orig.hl7"
    err_has "TLS, untrusted: reason" "certificate verification failed"
    out_lacks "TLS, untrusted: nothing sent" "sent ADT"
    run "plain client to a TLS server" 2 "$CTL" hl7 send --port "$LPORT" --timeout-ms 2000 \
        "$TMP/orig.hl7"
    peer_client "garbage to a TLS server" "$LPORT" "$TMP/not_hl7" all 10
out_lacks "garbage to a TLS server: no HL7 answer" "FRAME"
    run "TLS server still serves" 0 "$CTL" hl7 send --port "$LPORT" --tls --ca "$P/ca.pem" \
        "$TMP/orig.hl7"
    lhas "tls: handshake failures reported" "TLS handshake failed"
    stop_listener "tls"

    # Plain client certificate check: the server's name must match.
    printf 'subjectAltName=DNS:elsewhere.example\n' >"$P/wrong.ext"
    ossl x509 -req -in "$P/server.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" -CAcreateserial \
        -days 2 -extfile "$P/wrong.ext" -out "$P/wrong.pem"
    start_listener "tls wrong name" --tls --cert "$P/wrong.pem" --key "$P/server.key"
    run "TLS, name mismatch" 2 "$CTL" hl7 send --port "$LPORT" --tls --ca "$P/ca.pem" \
        "$TMP/orig.hl7"
    err_has "TLS, name mismatch: reason" "certificate verification failed"
    stop_listener "tls wrong name"

    start_listener "mutual tls" --tls --cert "$P/server.pem" --key "$P/server.key" \
        --ca "$P/ca.pem"
    run "mutual TLS with a client certificate" 0 "$CTL" hl7 send --port "$LPORT" --tls \
        --ca "$P/ca.pem" --cert "$P/client.pem" --key "$P/client.key" "$TMP/orig.hl7"
    out_has "mutual TLS: matched" "ACK AA for ORIG1: matched"
    run "mutual TLS without a client certificate" 2 "$CTL" hl7 send --port "$LPORT" --tls \
        --ca "$P/ca.pem" "$TMP/orig.hl7"
    stop_listener "mutual tls"
    lhas "mutual TLS: refusal reported" "TLS handshake failed"
fi

finish
