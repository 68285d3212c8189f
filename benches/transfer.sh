#!/usr/bin/env bash
#
# benches/transfer.sh: time rftp against curl, lftp and tnftp on real FTP
# servers (vsftpd, pyftpdlib) on loopback, and against raw TCP (iperf3).
# Prints one markdown table (and the machine it ran on) on stdout; progress
# goes to stderr, so `bash benches/transfer.sh > result.md` keeps the table.
#
# Run it as root on Debian, from anywhere (it cd's to the repo root):
#
#   bash benches/transfer.sh
#
# Knobs (environment):
#   BENCH_RUNS=5            timed runs per tool and scenario; medians are reported
#   BENCH_SIZE_MIB=1024     size of the big file
#   BENCH_SMALL_FILES=1000  number of small files (1-8 KiB each)
#   BENCH_SERVERS="vsftpd pyftpdlib"
#   BENCH_TIMEOUT=900       seconds before one client run is killed (and FAILED)
#   RFTP_BIN=path           use this rftp binary instead of `cargo build --release`
#
# Why it is built the way it is (see the field notes on these machines):
# - Absolute speed varies ~3x between machines and 15-20% between runs, so
#   every tool is measured in the same run, rounds interleaved (run 1 of every
#   tool, then run 2 of every tool, ...), and only ratios are meant to be read.
# - The page cache is evicted after a few idle minutes, so the input is read
#   once right before each timed run: we time the client, not the disk.
# - /usr/bin/time wraps the client alone: wall time, user+system CPU and peak
#   RSS are the client's, not the server's or this script's.
# - A run that exits non-zero, or that leaves the wrong bytes behind, is
#   counted as FAILED in the table, never dropped silently.

set -euo pipefail

RUNS=${BENCH_RUNS:-5}
SIZE_MIB=${BENCH_SIZE_MIB:-1024}
SMALL_FILES=${BENCH_SMALL_FILES:-1000}
SERVERS=${BENCH_SERVERS:-"vsftpd pyftpdlib"}
TIMEOUT=${BENCH_TIMEOUT:-900}
CONNS=4 # parallel connections for the many-small-files scenario

BIG=bigfile                   # name of the big file in each server's root
SIZE_BYTES=$((SIZE_MIB * 1024 * 1024))

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=benches/common.sh
source benches/common.sh

# ---------------------------------------------------------------- setup ---

# Install the clients (and what the servers need) only when missing.
ensure_tools() { install_missing lftp:lftp curl:curl tnftp:tnftp iperf3:iperf3 /usr/bin/time:time timeout:coreutils python3:python3; }

# Test data, made once and shared by all servers: the big file (also the
# local source of the put tests) and the small files.
make_data() {
    local i
    log "making ${SIZE_MIB} MiB big file and $SMALL_FILES small files in $WORK"
    head -c "$SIZE_BYTES" /dev/urandom >"$WORK/$BIG"
    mkdir "$WORK/small"
    for ((i = 1; i <= SMALL_FILES; i++)); do
        # 1..8 KiB, random
        head -c $((1024 + RANDOM % 7169)) /dev/urandom >"$WORK/small/$(printf 'f%05d.bin' "$i")"
    done
    SMALL_BYTES=$(tree_bytes "$WORK/small")
}

# put_data ROOT: serve the data from a server's root. The big file is a hard
# link when possible: no second copy on disk, one set of cached pages.
put_data() {
    ln "$WORK/$BIG" "$1/$BIG" 2>/dev/null || cp "$WORK/$BIG" "$1/$BIG"
    cp -r "$WORK/small" "$1/small"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

file_size() { stat -c %s "$1" 2>/dev/null || echo 0; }

# -------------------------------------------------------------- results ---
#
# A row is "server|scenario|tool". Per row we keep the successful samples
# ("wall cpu rss_kib" lines), the number of failed runs, the size in MiB for
# throughput (big-file rows only) and, for iperf3, its own measured rates.

declare -a ROWS=()
declare -A SAMPLES=() FAILED=() ROW_MIB=() RATES=() REF=()
declare -a FAILURE_NOTES=()

add_row() { # add_row ROW MIB
    if [ -z "${FAILED[$1]+set}" ]; then
        ROWS+=("$1")
        FAILED[$1]=0
        SAMPLES[$1]=
        ROW_MIB[$1]=$2
    fi
}


# timed ROW STDIN CMD...: run CMD under /usr/bin/time and a timeout, its
# output appended to the row's log. Sets SAMPLE="wall cpu rss_kib" and
# returns CMD's exit status. (--foreground: Ctrl-C still reaches the client.)
# time's %e has 10 ms steps, too coarse for a fast transfer: the wall time
# comes from bash's microsecond clock around it; CPU and RSS from time.
timed() {
    local row=$1 input=$2 status=0 t0 t1 u s m
    shift 2
    printf '### %s\n' "$*" >>"$(logfile "$row")"
    : >"$WORK/time.out"
    t0=$EPOCHREALTIME
    /usr/bin/time -f '%e %U %S %M' -o "$WORK/time.out" \
        timeout --foreground -k 5 "$TIMEOUT" "$@" <"$input" >>"$(logfile "$row")" 2>&1 || status=$?
    t1=$EPOCHREALTIME
    # On a non-zero exit, time writes "Command exited ..." first: the numbers are last.
    read -r _ u s m < <(tail -n 1 "$WORK/time.out") || true
    SAMPLE=$(awk -v a="$t0" -v b="$t1" -v u="${u:-0}" -v s="${s:-0}" -v m="${m:-0}" \
        'BEGIN { printf "%.4f %.2f %d", b - a, u + s, m }')
    return "$status"
}

# record ROW RUN STATUS WHY: keep the sample, or count and describe a failure.
record() {
    local row=$1 run=$2 status=$3 why=$4 n
    if [ "$status" = 0 ] && [ -z "$why" ]; then
        SAMPLES[$row]+="$SAMPLE"$'\n'
    else
        n=${FAILED[$row]}
        FAILED[$row]=$((n + 1))
        [ "$status" = 124 ] && why="timed out after ${TIMEOUT}s${why:+; $why}"
        FAILURE_NOTES+=("${row//|/ / }, run $run: exit $status${why:+ ($why)}; log: $(logfile "$row")")
        log "FAILED: ${row//|/ / }, run $run: exit $status $why"
    fi
}

# bench TOOL STDIN CMD...: one timed run of one tool in the current scenario.
# The scenario sets SERVER, SCENARIO, MIB, PREP (run before, untimed) and
# VERIFY (prints what is wrong with the result, or nothing), and RUN.
bench() {
    local tool=$1 input=$2 row status=0 why
    shift 2
    row="$SERVER|$SCENARIO|$tool"
    add_row "$row" "$MIB"
    "$PREP"
    timed "$row" "$input" "$@" || status=$?
    why=$("$VERIFY")
    record "$row" "$RUN" "$status" "$why"
}

# ------------------------------------------------------- prep and verify ---

# Before a big-file run: nothing dirty left to flush from the last run, and
# the big file in the page cache (it is the same inode locally and on the
# servers).
prep_big() {
    rm -f "$WORK/out.bin" "$ROOT/upload.bin"
    sync
    cat "$WORK/$BIG" >/dev/null
}

prep_small() {
    rm -rf "$OUT"
    mkdir "$OUT"
    sync
    cat "$ROOT"/small/* >/dev/null
}

verify_none() { :; }

verify_out() {
    local n
    n=$(file_size "$WORK/out.bin")
    [ "$n" = "$SIZE_BYTES" ] || echo "out.bin has $n bytes, not $SIZE_BYTES"
}

verify_upload() {
    local n
    n=$(file_size "$ROOT/upload.bin")
    [ "$n" = "$SIZE_BYTES" ] || echo "upload.bin has $n bytes, not $SIZE_BYTES"
}

# Some clients (tnftp -n) exit 0 even when a get fails: count what arrived.
verify_small() {
    local n b
    n=$(tree_files "$OUT")
    b=$(tree_bytes "$OUT")
    [ "$n" = "$SMALL_FILES" ] && [ "$b" = "$SMALL_BYTES" ] ||
        echo "got $n files ($b bytes), not $SMALL_FILES ($SMALL_BYTES bytes)"
}

# ------------------------------------------------------------ raw TCP ---

# wait_listen PORT: until something listens on 127.0.0.1:PORT (state 0A in
# /proc/net/tcp). A test connection would use up iperf3 -s -1's one client.
wait_listen() {
    local hex i
    hex=$(printf '0100007F:%04X' "$1")
    for ((i = 0; i < 100; i++)); do
        awk -v a="$hex" '$2 == a && $4 == "0A" { found = 1 } END { exit !found }' /proc/net/tcp && return 0
        sleep 0.05
    done
    return 1
}

# iperf_run ROW [-Z]: one iperf3 server (-1: one test, then exit) and client.
iperf_run() {
    local row=$1 port pid status=0 rate
    shift
    add_row "$row" "$SIZE_MIB"
    port=$(free_port)
    iperf3 -s -1 -B 127.0.0.1 -p "$port" >>"$(logfile "$row")" 2>&1 &
    pid=$!
    IPERF_PID=$pid # for cleanup, if we are interrupted before it exits
    wait_listen "$port" || log "iperf3 server on port $port not listening yet"
    rm -f "$WORK/iperf.json" # --logfile appends
    timed "$row" /dev/null iperf3 -c 127.0.0.1 -p "$port" -n "${SIZE_MIB}M" -J --logfile "$WORK/iperf.json" "$@" ||
        status=$?
    wait "$pid" || true
    IPERF_PID=
    # The receiver's own rate: bytes and seconds counted at the same end.
    rate=$(python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["end"]["sum_received"]
print("%.1f" % (r["bytes"] / r["seconds"] / 2**20))' "$WORK/iperf.json" 2>/dev/null) || rate=
    if [ -n "$rate" ]; then
        RATES[$row]+="$rate"$'\n'
        record "$row" "$RUN" "$status" ""
    else
        record "$row" "$RUN" "$status" "no rate in iperf3's JSON"
    fi
}

measure_raw_tcp() {
    log "raw TCP: iperf3, $RUNS x 2"
    for ((RUN = 1; RUN <= RUNS; RUN++)); do
        iperf_run "loopback|raw TCP ${SIZE_MIB} MiB|iperf3"
        iperf_run "loopback|raw TCP ${SIZE_MIB} MiB|iperf3 -Z (sendfile)" -Z
    done
}

# ---------------------------------------------------------- scenarios ---
#
# Each runs RUNS rounds; in each round every tool runs once, so drift over
# time hits all tools alike. The first tool of a scenario is rftp, the
# reference of the ratio column.

scenario_get_null() {
    SCENARIO="get big → /dev/null" MIB=$SIZE_MIB PREP=prep_big VERIFY=verify_none
    REF["$SERVER|$SCENARIO"]="$SERVER|$SCENARIO|rftp"
    for ((RUN = 1; RUN <= RUNS; RUN++)); do
        bench rftp /dev/null "$RFTP" get -q -o /dev/null "$URL/$BIG"
        bench curl /dev/null curl -sS -o /dev/null "$URL/$BIG"
        bench lftp /dev/null lftp -u "$USER_,$PASS" -p "$PORT" \
            -e "$LFTP_SET; get $BIG -o /dev/null; bye" "$HOST"
        bench tnftp /dev/null tnftp -o /dev/null "$URL/$BIG"
    done
}

scenario_get_file() {
    SCENARIO="get big → file" MIB=$SIZE_MIB PREP=prep_big VERIFY=verify_out
    REF["$SERVER|$SCENARIO"]="$SERVER|$SCENARIO|rftp"
    for ((RUN = 1; RUN <= RUNS; RUN++)); do
        bench rftp /dev/null "$RFTP" get -q -o "$WORK/out.bin" "$URL/$BIG"
        bench curl /dev/null curl -sS -o "$WORK/out.bin" "$URL/$BIG"
        bench lftp /dev/null lftp -u "$USER_,$PASS" -p "$PORT" \
            -e "$LFTP_SET; get $BIG -o $WORK/out.bin; bye" "$HOST"
        bench tnftp /dev/null tnftp -o "$WORK/out.bin" "$URL/$BIG"
    done
}

scenario_put() {
    SCENARIO="put big" MIB=$SIZE_MIB PREP=prep_big VERIFY=verify_upload
    REF["$SERVER|$SCENARIO"]="$SERVER|$SCENARIO|rftp"
    for ((RUN = 1; RUN <= RUNS; RUN++)); do
        bench rftp /dev/null "$RFTP" put -q "$WORK/$BIG" "$URL/upload.bin"
        bench curl /dev/null curl -sS -T "$WORK/$BIG" "$URL/upload.bin"
        bench lftp /dev/null lftp -u "$USER_,$PASS" -p "$PORT" \
            -e "$LFTP_SET; put $WORK/$BIG -o upload.bin; bye" "$HOST"
        bench tnftp /dev/null tnftp -u "$URL/upload.bin" "$WORK/$BIG"
    done
}

# Many small files. curl is left out: it stalls ~1 s on about one file in
# four with pyftpdlib (field notes), which would measure that, not transfer.
scenario_small() {
    local rftp_script=$WORK/rftp-mget.txt tnftp_script=$WORK/tnftp-mget.txt tnftp_tool f
    SCENARIO="get $SMALL_FILES small files" MIB='' PREP=prep_small VERIFY=verify_small
    OUT=$WORK/small-out
    REF["$SERVER|$SCENARIO"]="$SERVER|$SCENARIO|rftp get -r -j$CONNS"

    printf 'user %s %s\nlcd %s\ncd small\nparallel %s\nmget *\nbye\n' \
        "$USER_" "$PASS" "$OUT" "$CONNS" >"$rftp_script"

    # tnftp's mget sends "NLST *"; pyftpdlib does not expand wildcards in NLST
    # (550), so there tnftp gets each file by name: the same RETRs, no NLST.
    printf 'open %s %s\nuser %s %s\nprompt\nbinary\nlcd %s\ncd small\n' \
        "$HOST" "$PORT" "$USER_" "$PASS" "$OUT" >"$tnftp_script"
    if [ "$SERVER" = pyftpdlib ]; then
        tnftp_tool="tnftp get each (1 conn)"
        for f in "$ROOT"/small/*; do printf 'get %s\n' "${f##*/}"; done >>"$tnftp_script"
    else
        tnftp_tool="tnftp mget (1 conn)"
        printf 'mget *\n' >>"$tnftp_script"
    fi
    printf 'bye\n' >>"$tnftp_script"

    for ((RUN = 1; RUN <= RUNS; RUN++)); do
        bench "rftp get -r -j$CONNS" /dev/null "$RFTP" get -r -j "$CONNS" -q "$URL/small/" -o "$OUT/"
        bench "rftp shell mget (parallel $CONNS)" "$rftp_script" "$RFTP" -n -q -e "$HOST" "$PORT"
        bench "lftp mirror --parallel=$CONNS" /dev/null lftp -u "$USER_,$PASS" -p "$PORT" \
            -e "$LFTP_SET; mirror --parallel=$CONNS small $OUT/small; bye" "$HOST"
        bench "$tnftp_tool" "$tnftp_script" tnftp -n
    done
}

# bench_server NAME: start it (servers.sh exports RFTP_TEST_*), run every
# scenario, stop it. One server at a time, so they do not compete for CPU.
bench_server() {
    SERVER=$1
    log "starting $SERVER"
    "start_$SERVER"
    ROOT=$RFTP_TEST_ROOT USER_=$RFTP_TEST_USER PASS=$RFTP_TEST_PASSWORD
    HOST=${RFTP_TEST_SERVER%:*} PORT=${RFTP_TEST_SERVER##*:}
    # Paths in the URL are relative to the login directory (RFC 1738).
    URL="ftp://$USER_:$PASS@$HOST:$PORT"
    put_data "$ROOT"
    log "$SERVER: get → /dev/null";   scenario_get_null
    log "$SERVER: get → file";        scenario_get_file
    log "$SERVER: put";               scenario_put
    log "$SERVER: small files";       scenario_small
    stop_servers
}

# -------------------------------------------------------------- report ---

median() {
    sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) exit; if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# stat_median ROW N: the median of field N of the row's samples.
stat_median() { printf '%s' "${SAMPLES[$1]}" | awk -v n="$2" 'NF { print $n }' | median; }

# median_wall ROW: empty when any run failed (a failed row has no median).
median_wall() { [ "${FAILED[$1]}" = 0 ] && stat_median "$1" 1; }

# mibs ROW: throughput, from iperf3's own rate or from size / median wall.
mibs() {
    local wall
    if [ -n "${RATES[$1]:-}" ] && [ "${FAILED[$1]}" = 0 ]; then
        printf '%s' "${RATES[$1]}" | median | awk '{ printf "%.0f", $1 }'
    elif [ -n "${ROW_MIB[$1]}" ] && wall=$(median_wall "$1") && [ -n "$wall" ]; then
        awk -v m="${ROW_MIB[$1]}" -v w="$wall" 'BEGIN { if (w > 0) printf "%.0f", m / w; else print "∞" }'
    fi
}

print_machine() {
    local pyftpdlib_version rev
    pyftpdlib_version=$(python3 -c 'import pyftpdlib; print(pyftpdlib.__ver__)' 2>/dev/null || echo '?')
    rev=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
    git diff --quiet HEAD 2>/dev/null || rev="$rev (+ uncommitted changes)"
    cat <<EOF
## rftp transfer benchmark

- date: $(date -u '+%Y-%m-%d %H:%M UTC'); rftp commit: $rev
- CPU: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo); nproc: $(nproc); RAM: $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
- kernel: $(uname -r); $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")
- rftp: $("$RFTP" --version) ($RFTP)
- curl: $(curl --version | head -1)
- lftp: $(lftp --version | head -1)
- tnftp: $(dpkg-query -W -f='${Version}' tnftp 2>/dev/null || echo '?') (Debian package; tnftp reports no version)
- iperf3: $(iperf3 --version | head -1)
- servers: vsftpd $(dpkg-query -W -f='${Version}' vsftpd 2>/dev/null || echo '?'), pyftpdlib $pyftpdlib_version (as started by .ci/servers.sh)
- $RUNS runs per row, medians; big file ${SIZE_MIB} MiB; $SMALL_FILES small files of 1–8 KiB ($SMALL_BYTES bytes)

EOF
}

print_table() {
    local row server scenario tool wall cpu rss rate ratio ref refwall
    echo '| server | scenario | tool | median wall s | MiB/s | CPU s | peak RSS MiB | rftp/tool |'
    echo '|---|---|---|--:|--:|--:|--:|--:|'
    for row in "${ROWS[@]}"; do
        IFS='|' read -r server scenario tool <<<"$row"
        ref=${REF["$server|$scenario"]:-}
        if [ "${FAILED[$row]}" != 0 ]; then
            printf '| %s | %s | %s | FAILED (%s of %s runs) | — | — | — | — |\n' \
                "$server" "$scenario" "$tool" "${FAILED[$row]}" "$RUNS"
            continue
        fi
        wall=$(median_wall "$row")
        rate=$(mibs "$row")
        cpu=$(stat_median "$row" 2)
        rss=$(stat_median "$row" 3 | awk '{ printf "%.1f", $1 / 1024 }')
        if [ -z "$ref" ]; then
            ratio=—
        elif [ "$row" = "$ref" ]; then
            ratio=ref
        elif refwall=$(median_wall "$ref") && [ -n "$refwall" ]; then
            # rftp's speed over the tool's = tool wall / rftp wall; > 1: rftp faster.
            ratio=$(awk -v t="$wall" -v r="$refwall" 'BEGIN { if (r > 0) printf "%.2f", t / r; else print "—" }')
        else
            ratio="— (rftp FAILED)"
        fi
        printf '| %s | %s | %s | %.3f | %s | %.2f | %s | %s |\n' \
            "$server" "$scenario" "$tool" "$wall" "${rate:-—}" "$cpu" "$rss" "$ratio"
    done
}

# For each server: rftp get → /dev/null against raw TCP (plain and sendfile).
print_vs_tcp() {
    local server rftp plain zc
    plain=$(mibs "loopback|raw TCP ${SIZE_MIB} MiB|iperf3")
    zc=$(mibs "loopback|raw TCP ${SIZE_MIB} MiB|iperf3 -Z (sendfile)")
    echo
    for server in $SERVERS; do
        rftp=$(mibs "$server|get big → /dev/null|rftp")
        printf -- '- rftp get /dev/null as %% of raw TCP, %s: %s of iperf3, %s of iperf3 -Z\n' "$server" \
            "$(pct "$rftp" "$plain")" "$(pct "$rftp" "$zc")"
    done
    echo
    echo "MiB/s: size / median wall (the client's whole run: start, login, transfer, exit);"
    echo "iperf3 rows: the receiver's own rate. rftp/tool: tool's median wall / rftp's (> 1: rftp faster);"
    echo "for small files the reference is rftp get -r. CPU s: user + system of the client."
}

pct() {
    if [ -n "$1" ] && [ -n "$2" ]; then
        awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "n/a" }'
    else
        echo "n/a"
    fi
}


# ---------------------------------------------------------------- main ---

cleanup() {
    [ -n "${IPERF_PID:-}" ] && kill "$IPERF_PID" 2>/dev/null
    stop_servers
    [ -n "${WORK:-}" ] && rm -rf -- "$WORK"
    # Logs are kept only when something failed (print_failures names them).
    if [ -n "${LOGS:-}" ] && ((${#FAILURE_NOTES[@]} == 0)); then rm -rf -- "$LOGS"; fi
}

main() {
    local started=$SECONDS server
    [ -f .ci/servers.sh ] || die "run from the rftp repo (.ci/servers.sh not found)"
    # shellcheck source=.ci/servers.sh
    source .ci/servers.sh
    trap cleanup EXIT
    trap 'exit 130' INT TERM

    # vsftpd as started by servers.sh logs every command and reply (for CI);
    # that would slow the server in the many-files test, so turn it off here
    # (a later line wins in its config). Set RFTP_VSFTPD_EXTRA_CONF to override.
    export RFTP_VSFTPD_EXTRA_CONF=${RFTP_VSFTPD_EXTRA_CONF-log_ftp_protocol=NO}
    # lftp: fail instead of retrying, overwrite /dev/null and out files, and
    # no AUTH TLS probe (the other clients do not try TLS either).
    LFTP_SET='set net:max-retries 1; set xfer:clobber on; set ftp:ssl-allow no'

    ensure_tools
    build_rftp
    WORK=$(mktemp -d /tmp/rftp-bench.XXXXXX)
    LOGS=$(mktemp -d /tmp/rftp-bench-logs.XXXXXX)
    make_data

    measure_raw_tcp
    for server in $SERVERS; do
        bench_server "$server"
    done

    print_machine
    print_table
    print_vs_tcp
    print_failures
    log "done in $((SECONDS - started)) s"
}

main "$@"
