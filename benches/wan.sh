#!/usr/bin/env bash
#
# benches/wan.sh: rftp against lftp on the three jobs of issue #14, on
# loopback and across ../shared/tools/wan.py (a WAN link with round-trip
# time and a bandwidth limit per connection in front of the loopback
# server), rounds interleaved, medians and ratios printed:
#
#   tree       a tree of 201 files in 45 folders (benches/common.sh's
#              make_tree): `rftp get -r` against `lftp mirror --parallel=4`
#   get 64MiB  one 64 MiB file: `rftp get` against `lftp pget -n 4`
#   put 16MiB  one 16 MiB file: `rftp put` against `lftp put`
#
# With BENCH_SWEEP="4 8 16", `rftp get -r -j N` runs for each N too (the
# measurement behind the default number of connections), and
# `rftp get --segments N` for the big file.
#
# Prints one markdown table per mode (and the machine) on stdout; progress
# on stderr. Run it as root on Debian, from anywhere:
#
#   bash benches/wan.sh
#
# Knobs (environment):
#   BENCH_RUNS=5                  rounds; medians are reported
#   BENCH_SERVERS=vsftpd          or "vsftpd pyftpdlib"
#   BENCH_MODES="wan loopback"
#   BENCH_WAN="--rtt-ms 40 --mbit 0 --conn-mbit 80"   wan.py's link
#   BENCH_WAN_PY=../shared/tools/wan.py
#   BENCH_JOBS="tree get put"
#   BENCH_SWEEP=""                e.g. "4 8 16"
#   BENCH_TIMEOUT=300             seconds before one client run is killed (and FAILED)
#   RFTP_BIN=path                 use this rftp binary instead of `cargo build --release`
#
# Every run is checked: the tree and the files must arrive byte for byte
# (diff / cmp), and an upload must be on the server whole; a run that exits
# non-zero or leaves other bytes is FAILED in the table, never dropped.

set -euo pipefail

RUNS=${BENCH_RUNS:-5}
SERVERS=${BENCH_SERVERS:-vsftpd}
MODES=${BENCH_MODES:-"wan loopback"}
WAN_ARGS=${BENCH_WAN:-"--rtt-ms 40 --mbit 0 --conn-mbit 80"}
JOBS_WANTED=${BENCH_JOBS:-"tree get put"}
SWEEP=${BENCH_SWEEP:-}
TIMEOUT=${BENCH_TIMEOUT:-300}
CONNS=4 # lftp's --parallel and pget -n
WAN_HOST=127.0.0.2
VSFTPD_PASV=30700-30799
PYFTPDLIB_PASV=30800-30899
BIG_MIB=64
PUT_MIB=16

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=benches/common.sh
source benches/common.sh
WAN_PY=${BENCH_WAN_PY:-$PWD/../shared/tools/wan.py}
[ -n "${BENCH_WAN_PY:-}" ] || [ -f "$WAN_PY" ] || WAN_PY=$PWD/../../shared/tools/wan.py

ensure_tools() { install_missing lftp:lftp /usr/bin/time:time timeout:coreutils python3:python3 diff:diffutils cmp:diffutils; }

declare -a ROWS=()
declare -A SAMPLES=() FAILED=()
declare -a FAILURE_NOTES=()

# tools_of JOB: its clients: lftp, rftp with its defaults, and the sweep
# (connections for the tree, ranges for the big file; none for put).
tools_of() {
    local n
    printf '%s\n' lftp rftp
    [ "$1" = put ] && return 0
    for n in $SWEEP; do printf 'rftp-%s\n' "$n"; done
}

# rftp_options TOOL JOB: the sweep's option for the job.
rftp_options() {
    local n=${1#rftp-}
    [ "$1" = rftp ] && return 0
    case $2 in
    tree) printf -- '-j %s' "$n" ;;
    get) printf -- '--segments %s' "$n" ;;
    esac
}

# check JOB OUT: what is wrong with what the run left, if anything.
check() {
    case $1 in
    tree) diff -rq "$ROOT/tree" "$2" 2>&1 | head -n 3 | tr '\n' ';' || true ;;
    get) cmp -s "$ROOT/big.bin" "$2" || echo "the file differs from the server's" ;;
    put) cmp -s "$WORK/put.bin" "$ROOT/up/put.bin" || echo "the server's copy differs" ;;
    esac
}

# run_one TOOL JOB: one timed run and its check.
run_one() {
    local tool=$1 job=$2 row out status=0 extra
    row="$MODE|$SERVER|$job|$tool"
    out=$WORK/out-$tool-$job
    rm -rf "$out" "$out.in" "$ROOT/up/put.bin"
    mkdir -p "$ROOT/up"
    chmod 777 "$ROOT/up"
    sync
    case $job in
    tree) find "$ROOT/tree" -type f -exec cat {} + >/dev/null ;;
    get) cat "$ROOT/big.bin" >/dev/null ;;
    put) cat "$WORK/put.bin" >/dev/null ;;
    esac
    extra=$(rftp_options "$tool" "$job")
    case $tool:$job in
    lftp:tree) timed "$row" lftp -u "$USER_,$PASS" -p "$PORT" \
        -e "$LFTP_SET; mirror --parallel=$CONNS tree $out; bye" "$CHOST" || status=$? ;;
    lftp:get) timed "$row" lftp -u "$USER_,$PASS" -p "$PORT" \
        -e "$LFTP_SET; pget -n $CONNS big.bin -o $out; bye" "$CHOST" || status=$? ;;
    lftp:put) timed "$row" lftp -u "$USER_,$PASS" -p "$PORT" \
        -e "$LFTP_SET; put $WORK/put.bin -o up/put.bin; bye" "$CHOST" || status=$? ;;
    # shellcheck disable=SC2086 # extra is a list of options
    rftp*:tree)
        # get -r makes the folder `tree` inside the one named.
        timed "$row" "$RFTP" -q get -r $extra "$URL/tree" -o "$out.in/" || status=$?
        mv "$out.in/tree" "$out" 2>/dev/null || true
        rm -rf "$out.in"
        ;;
    # shellcheck disable=SC2086
    rftp*:get) timed "$row" "$RFTP" -q get $extra "$URL/big.bin" -o "$out" || status=$? ;;
    rftp*:put) timed "$row" "$RFTP" -q put "$WORK/put.bin" "$URL/up/put.bin" || status=$? ;;
    esac
    record "$row" "$RUN" "$status" "$(check "$job" "$out")"
}

# One round: each job, its tools in an order that turns each round.
round() {
    local job tool
    local -a tools
    for job in $JOBS_WANTED; do
        mapfile -t tools < <(tools_of "$job")
        local -a order=("${tools[@]:RUN % ${#tools[@]}}" "${tools[@]:0:RUN % ${#tools[@]}}")
        for tool in "${order[@]}"; do
            log "$MODE / $SERVER / run $RUN: $job, $tool"
            run_one "$tool" "$job"
        done
    done
}

serve_data() {
    rm -rf "$ROOT/tree" "$ROOT/big.bin" "$ROOT/up"
    cp -a "$WORK/tree" "$ROOT/tree"
    ln "$WORK/big.bin" "$ROOT/big.bin" 2>/dev/null || cp "$WORK/big.bin" "$ROOT/big.bin"
    chmod -R a+rX "$ROOT/tree" "$ROOT/big.bin"
}


print_machine() {
    local rev
    rev=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
    git diff --quiet HEAD 2>/dev/null || rev="$rev (+ uncommitted changes)"
    cat <<EOF
## rftp across a WAN link (issue #14)

- date: $(date -u '+%Y-%m-%d %H:%M UTC'); rftp commit: $rev
- CPU: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo); nproc: $(nproc); kernel: $(uname -r)
- rftp: $("$RFTP" --version); lftp: $(lftp --version | head -1 | sed 's/^LFTP | Version \([^ ]*\).*/\1/')
- servers: $SERVERS (as started by .ci/servers.sh); wan: wan.py $WAN_ARGS, clients on $WAN_HOST
- tree: $TREE_FILES files ($TREE_BYTES bytes) in 45 folders; get: ${BIG_MIB} MiB; put: ${PUT_MIB} MiB
- $RUNS rounds, medians of the wall time of the client's whole run (start, login, job, exit)

EOF
}

lftp_of() {
    case $1 in
    tree) echo "lftp mirror --parallel=$CONNS" ;;
    get) echo "lftp pget -n $CONNS" ;;
    put) echo "lftp put" ;;
    esac
}

print_tables() {
    local mode server job tool a b ratio
    for mode in $MODES; do
        echo "### $mode"
        echo
        echo '| server | job | client | median | lftp/client |'
        echo '|---|---|---|--:|--:|'
        for server in $SERVERS; do
            for job in $JOBS_WANTED; do
                a=$(median_wall "$mode|$server|$job|lftp") || a=
                while read -r tool; do
                    ratio=—
                    if [ "$tool" != lftp ] && b=$(median_wall "$mode|$server|$job|$tool") && [ -n "$a" ] && [ -n "$b" ]; then
                        ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "—" }')
                    fi
                    local name=$tool
                    [ "$tool" = lftp ] && name=$(lftp_of "$job")
                    [ "$tool" = rftp ] || [ "$tool" = lftp ] || name="rftp $(rftp_options "$tool" "$job")"
                    printf '| %s | %s | %s | %s | %s |\n' "$server" "$job" "$name" "$(cell "$mode|$server|$job|$tool")" "$ratio"
                done < <(tools_of "$job")
            done
        done
        echo
    done
    echo "lftp/client > 1: that client is faster than lftp."
}

main() {
    local started=$SECONDS server
    start_benchmark
    ensure_tools
    build_rftp
    WORK=$(mktemp -d /tmp/rftp-wan-bench.XXXXXX)
    LOGS=$(mktemp -d /tmp/rftp-wan-bench-logs.XXXXXX)
    make_tree "$WORK/tree"
    head -c $((BIG_MIB << 20)) /dev/urandom >"$WORK/big.bin"
    head -c $((PUT_MIB << 20)) /dev/urandom >"$WORK/put.bin"
    TREE_FILES=$(tree_files "$WORK/tree") TREE_BYTES=$(tree_bytes "$WORK/tree")
    for server in $SERVERS; do
        bench_server "$server"
    done
    print_machine
    print_tables
    print_failures
    log "done in $((SECONDS - started)) s"
}

main "$@"
