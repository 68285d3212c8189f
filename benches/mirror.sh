#!/usr/bin/env bash
#
# benches/mirror.sh: time `rftp mirror -j 4` against `lftp mirror
# --parallel=4` on a tree of 201 files in 45 folders served by vsftpd (and
# pyftpdlib), on loopback and across ../shared/tools/wan.py (a WAN link with
# round-trip time in front of the loopback server). Three jobs per client:
#
#   first run   into an empty folder: everything is listed and downloaded;
#   no-op rerun nothing changed on the server: only listings, no transfer;
#   changed     after 5 files were rewritten on the server (new content,
#               new time; 3 with a new size, 2 with the same size) and 2
#               were added: exactly those 7 move.
#
# Prints one markdown table per network mode (and the machine it ran on) on
# stdout; progress goes to stderr, so `bash benches/mirror.sh > result.md`
# keeps the tables. Run it as root on Debian, from anywhere:
#
#   bash benches/mirror.sh
#
# Knobs (environment):
#   BENCH_RUNS=5                  rounds; medians are reported
#   BENCH_SERVERS=vsftpd          or "vsftpd pyftpdlib"
#   BENCH_MODES="loopback wan"
#   BENCH_WAN="--rtt-ms 40 --mbit 0 --conn-mbit 80"   wan.py's link
#   BENCH_WAN_PY=../shared/tools/wan.py   (or ../../shared/..., from a worktree)
#   BENCH_TIMEOUT=300             seconds before one client run is killed (and FAILED)
#   RFTP_BIN=path                 use this rftp binary instead of `cargo build --release`
#
# How the two clients decide that a file changed (so that the no-op rerun
# means the same for both): both transfer a file the target lacks, or whose
# size or modification time differs from the source's (older and newer
# alike: neither runs with --only-newer), and both give each downloaded file
# the server's time, so that a rerun finds nothing. They differ in where the
# server's time comes from:
# - lftp 4.9 (man lftp: mirror, ftp:use-mlsd, ftp:use-mdtm, all at their
#   defaults) lists with MLSD where the server has it (pyftpdlib), else with
#   LIST and then one MDTM per entry, files and folders, one after another
#   (ftp:sync-mode on): times to the second either way;
# - rftp lists with MLSD (times to the second) or LIST, whose times it takes
#   as exact as the line gives them (to the minute for files of the last 6
#   months, as here; vsftpd) and compares at that precision; it sends MDTM
#   only for the files it downloads (to keep their times).
# So on vsftpd a no-op rerun costs lftp one LIST per folder and one MDTM per
# entry, rftp one LIST per folder; a file rewritten with the same size in
# the minute of its old time would be missed by rftp's rule and not by
# lftp's (the changed job gives its files new times, days later).
# The changed job's same-size rewrites are what time comparison is for: an
# rftp that compares LIST times by size alone fails that job on vsftpd.

# Built like benches/transfer.sh (see the field notes on these machines):
# rounds interleaved (in each round every client runs each job once, in
# alternating order), the served files read once right before each timed
# run, /usr/bin/time around the client alone, and a run that exits non-zero,
# leaves a local tree that differs from the server's (diff -r), or writes
# other local files than its job should (by their inode change time: none on
# the no-op rerun, the 7 on the changed one) counted as FAILED, never dropped.

set -euo pipefail

RUNS=${BENCH_RUNS:-5}
SERVERS=${BENCH_SERVERS:-vsftpd}
MODES=${BENCH_MODES:-"loopback wan"}
WAN_ARGS=${BENCH_WAN:-"--rtt-ms 40 --mbit 0 --conn-mbit 80"}
TIMEOUT=${BENCH_TIMEOUT:-300}
CONNS=4
JOBS=("first run" "no-op rerun" "changed")
TOOLS=(lftp rftp)
WAN_HOST=127.0.0.2 # wan.py listens here and forwards to 127.0.0.1
# Passive ports above 30000, one range per server, all carried by wan.py.
VSFTPD_PASV=30500-30599
PYFTPDLIB_PASV=30600-30699

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=benches/common.sh
source benches/common.sh
# ../shared beside the repo (a worktree one level deeper: ../../shared).
WAN_PY=${BENCH_WAN_PY:-$PWD/../shared/tools/wan.py}
[ -n "${BENCH_WAN_PY:-}" ] || [ -f "$WAN_PY" ] || WAN_PY=$PWD/../../shared/tools/wan.py


# ---------------------------------------------------------------- setup ---

ensure_tools() { install_missing lftp:lftp /usr/bin/time:time timeout:coreutils python3:python3 diff:diffutils; }

# change_tree DIR ROUND: what the "changed" job moves: 5 files rewritten
# (3 with a new size, 2 with the same size), 2 files added; different
# files and bytes each round, the same on every machine.
change_tree() {
    python3 - "$1" "$2" <<'EOF'
import os, random, sys
root, round_ = sys.argv[1], int(sys.argv[2])
rng = random.Random(1000 + round_)
files = sorted(os.path.join(d, n) for d, _, names in os.walk(root) for n in names)
for k, path in enumerate(rng.sample(files, 5)):
    size = os.path.getsize(path)
    if k < 3:
        size += rng.randint(1, 4096)
    with open(path, "wb") as f:
        f.write(rng.randbytes(size))
for k in range(2):
    with open(os.path.join(root, "d%d" % (k + 1), "new-%d-%d.dat" % (round_, k)), "wb") as f:
        f.write(rng.randbytes(rng.randint(1024, 16 * 1024)))
EOF
}


# -------------------------------------------------------------- results ---
#
# A row is "mode|server|job|tool": its samples ("wall cpu rss_kib" lines)
# and its failed runs.

declare -a ROWS=()
declare -A SAMPLES=() FAILED=()
declare -a FAILURE_NOTES=()


# verify OUT: what differs between the local tree and the server's.
verify() {
    local diffs
    diffs=$(diff -rq "$ROOT/tree" "$1" 2>&1 | head -n 3) || true
    [ -z "$diffs" ] || printf '%s' "$diffs" | tr '\n' ';'
}

# stamps DIR: each file's path and inode change time: a file written,
# renamed into place, or given a time or mode changes it.
stamps() { find "$1" -type f -printf '%P %C@\n' | sort; }

# touched BEFORE DIR: what the run did to DIR's files, if it is not what the
# job should do: nothing on a no-op rerun, the 7 changed files otherwise.
touched() {
    local n want
    n=$(comm -13 <(printf '%s\n' "$1") <(stamps "$2") | wc -l)
    case $job in
    "no-op rerun") want=0 ;;
    changed) want=7 ;;
    *) return 0 ;;
    esac
    [ "$n" = "$want" ] || echo "wrote or touched $n local files, not $want"
}

# run_job TOOL JOB: one timed run of TOOL mirroring the served tree into
# its own folder, then the checks: the same bytes as the server's, and only
# the files that changed written.
run_job() {
    local tool=$1 job=$2 row out status=0 why before
    row="$MODE|$SERVER|$job|$tool"
    out=$WORK/out-$tool
    [ "$job" = "first run" ] && rm -rf "$out" && mkdir "$out"
    before=$(stamps "$out")
    sync
    find "$ROOT/tree" -type f -exec cat {} + >/dev/null
    case $tool in
    rftp) timed "$row" "$RFTP" -q mirror -j "$CONNS" "$URL/tree" "$out" || status=$? ;;
    lftp) timed "$row" lftp -u "$USER_,$PASS" -p "$CPORT" \
        -e "$LFTP_SET; mirror --parallel=$CONNS tree $out; bye" "$CHOST" || status=$? ;;
    esac
    why=$(verify "$out")$(touched "$before" "$out")
    record "$row" "$RUN" "$status" "$why"
}

# One round: both clients, each job, tools in alternating order; the server
# tree is made afresh first and changed before the third job.
round() {
    local -a order=("${TOOLS[@]}") job tool
    ((RUN % 2 == 0)) && order=("${TOOLS[1]}" "${TOOLS[0]}")
    rm -rf "$ROOT/tree"
    cp -a "$WORK/tree" "$ROOT/tree"
    for job in "${JOBS[@]}"; do
        [ "$job" = changed ] && change_tree "$ROOT/tree" "$RUN"
        for tool in "${order[@]}"; do
            log "$MODE / $SERVER / run $RUN: $job, $tool"
            run_job "$tool" "$job"
        done
    done
}


# -------------------------------------------------------------- report ---

print_machine() {
    local rev pyftpdlib_version
    rev=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
    git diff --quiet HEAD 2>/dev/null || rev="$rev (+ uncommitted changes)"
    pyftpdlib_version=$(python3 -c 'import pyftpdlib; print(pyftpdlib.__ver__)' 2>/dev/null || echo '?')
    cat <<EOF
## rftp mirror benchmark

- date: $(date -u '+%Y-%m-%d %H:%M UTC'); rftp commit: $rev
- CPU: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo); nproc: $(nproc); RAM: $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
- kernel: $(uname -r); $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")
- rftp: $("$RFTP" --version) ($RFTP); lftp: $(lftp --version | head -1 | sed 's/^LFTP | Version \([^ ]*\).*/\1/')
- servers: vsftpd $(dpkg-query -W -f='${Version}' vsftpd 2>/dev/null || echo '?'), pyftpdlib $pyftpdlib_version (as started by .ci/servers.sh); used: $SERVERS
- tree: $TREE_FILES files ($TREE_BYTES bytes) in 45 folders; changed job: 5 files rewritten, 2 added
- wan: wan.py $WAN_ARGS, clients on $WAN_HOST
- $RUNS rounds, medians of the wall time; -j $CONNS / --parallel=$CONNS

EOF
}

print_tables() {
    local mode server job lftp rftp ratio a b
    for mode in $MODES; do
        echo "### $mode"
        echo
        echo '| server | job | lftp mirror --parallel=4 | rftp mirror -j 4 | lftp/rftp | runs |'
        echo '|---|---|--:|--:|--:|--:|'
        for server in $SERVERS; do
            for job in "${JOBS[@]}"; do
                lftp="$mode|$server|$job|lftp" rftp="$mode|$server|$job|rftp"
                ratio=—
                if a=$(median_wall "$lftp") && b=$(median_wall "$rftp") && [ -n "$a" ] && [ -n "$b" ]; then
                    ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "—" }')
                fi
                printf '| %s | %s | %s | %s | %s | %s |\n' "$server" "$job" "$(cell "$lftp")" "$(cell "$rftp")" \
                    "$ratio" "$RUNS"
            done
        done
        echo
    done
    echo "Median wall time of the client's whole run (start, login, mirror, exit)."
    echo "lftp/rftp > 1: rftp is faster."
}

# ---------------------------------------------------------------- main ---

main() {
    local started=$SECONDS server
    start_benchmark

    ensure_tools
    build_rftp
    WORK=$(mktemp -d /tmp/rftp-mirror-bench.XXXXXX)
    LOGS=$(mktemp -d /tmp/rftp-mirror-bench-logs.XXXXXX)
    make_tree "$WORK/tree"
    TREE_FILES=$(tree_files "$WORK/tree") TREE_BYTES=$(tree_bytes "$WORK/tree")
    log "tree: $TREE_FILES files, $TREE_BYTES bytes"

    for server in $SERVERS; do
        bench_server "$server"
    done

    print_machine
    print_tables
    print_failures
    log "done in $((SECONDS - started)) s"
}

main "$@"
