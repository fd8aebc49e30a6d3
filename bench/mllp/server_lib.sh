# server_lib.sh - sourced by the MLLP bench scripts (run_mllp_bench.sh, callgrind_listen.sh):
# the server under load is started in the background with its PID in $pid and its stdout in a
# file whose first line announces "listening on 127.0.0.1:PORT".

# wait_port OUT TRIES DELAY: print the port announced in OUT, polled TRIES times DELAY seconds
# apart; print nothing when the server never announced one.
wait_port() {
    _i=0
    _port=""
    while [ -z "$_port" ] && [ $_i -lt "$2" ]; do
        sleep "$3"
        _port=$(sed -n '1s/^listening on 127\.0\.0\.1:\([0-9][0-9]*\).*$/\1/p' "$1")
        _i=$((_i + 1))
    done
    printf '%s' "$_port"
}

# kill_server: stop the server still running at exit (by its PID, nothing else).
kill_server() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
    fi
}
