# benches/common.sh: what the benchmarks share (messages, installing the
# tools, the binary under test, the test tree, wan.py, timed runs and their
# medians). Sourced from the repository root.

log() { printf '[bench] %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# install_missing COMMAND:PACKAGE...: installs (as root, with apt-get) the
# packages whose command is missing, and pip when pyftpdlib is among
# $SERVERS and can be neither imported nor installed.
install_missing() {
    local -a missing=()
    local pair
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
    done
    # servers.sh installs pyftpdlib with pip when it is not importable.
    if [[ " $SERVERS " == *" pyftpdlib "* ]] &&
        ! python3 -c 'import pyftpdlib' 2>/dev/null &&
        ! python3 -m pip --version >/dev/null 2>&1; then
        missing+=(python3-pip)
    fi
    ((${#missing[@]} == 0)) && return 0
    [ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}); run as root or install them"
    log "installing: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    _RFTP_APT_UPDATED=1 # servers.sh then skips its own apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# The binary under test: $RFTP_BIN, or a fresh release build of this repo.
build_rftp() {
    if [ -n "${RFTP_BIN:-}" ]; then
        [ -x "$RFTP_BIN" ] || die "RFTP_BIN=$RFTP_BIN is not an executable"
        RFTP=$RFTP_BIN
        return
    fi
    command -v cargo >/dev/null || die "cargo not found: install Rust (rustup.rs) or set RFTP_BIN"
    log "cargo build --release"
    cargo build --release >&2
    RFTP=${CARGO_TARGET_DIR:-target}/release/rftp
    [ -x "$RFTP" ] || die "no binary at $RFTP after the build"
}

tree_files() { find "$1" -type f | wc -l; }
tree_bytes() { find "$1" -type f -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }'; }
logfile() { printf '%s/%s.log' "$LOGS" "$(printf '%s' "$1" | tr -c 'A-Za-z0-9.-' '_')"; }

# ------------------------------------------------ shared by mirror.sh and wan.sh ---

# make_tree DIR: the benchmark's tree, the same bytes on every run and
# machine: 45 folders (the root, 4 folders of 10 subfolders each), 201
# files; most of 1-16 KiB, one in ten of 64 KiB-1 MiB. Times: spread over
# the last 90 days (whole minutes, so LIST and MLSD agree), relative to now
# so that vsftpd's LIST always shows them to the minute.
make_tree() {
    python3 - "$1" <<'EOF'
import os, random, sys, time
root = sys.argv[1]
rng = random.Random(13)
folders = [""] + [f"d{a}" for a in range(1, 5)] + [f"d{a}/s{b:02d}" for a in range(1, 5) for b in range(1, 11)]
now = int(time.time()) // 60 * 60
count = 0
for i, folder in enumerate(folders):
    os.makedirs(os.path.join(root, folder), exist_ok=True)
    for j in range(5 if i < 21 else 4):
        count += 1
        if count % 10 == 0:
            size = rng.randint(64 * 1024, 1024 * 1024)
        else:
            size = rng.randint(1024, 16 * 1024)
        path = os.path.join(root, folder, f"f{count:03d}.dat")
        with open(path, "wb") as f:
            f.write(rng.randbytes(size))
        stamp = now - rng.randint(1, 90 * 24 * 60) * 60
        os.utime(path, (stamp, stamp))
assert len(folders) == 45 and count == 201, (len(folders), count)
EOF
}

# wan.py in front of the server: control port and passive ports.
start_wan() {
    local pasv=$1 i
    [ -f "$WAN_PY" ] || die "no wan.py at $WAN_PY (set BENCH_WAN_PY)"
    # shellcheck disable=SC2086 # WAN_ARGS is a list of options
    python3 "$WAN_PY" --listen "$WAN_HOST" --ports "$PORT" --data-ports "$pasv" $WAN_ARGS \
        >"$LOGS/wan.log" 2>&1 &
    WAN_PID=$!
    for ((i = 0; i < 100; i++)); do
        grep -q '^wan: ready' "$LOGS/wan.log" && return 0
        kill -0 "$WAN_PID" 2>/dev/null || break
        sleep 0.1
    done
    die "wan.py did not start: $(cat "$LOGS/wan.log")"
}

stop_wan() {
    if [ -n "${WAN_PID:-}" ]; then
        kill "$WAN_PID" 2>/dev/null || true
        wait "$WAN_PID" 2>/dev/null || true
        WAN_PID=
    fi
}

# vsftpd checks logins with PAM: servers.sh's account (rftptest) is the
# machine's, and each start_vsftpd elsewhere (tests run meanwhile) gives it a
# new password. The benchmark logs in with an account of its own instead;
# guest_enable maps it to the same root and folder.
own_vsftpd_login() {
    USER_=rftpbench
    if ! id "$USER_" >/dev/null 2>&1; then
        useradd --no-create-home --home-dir /nonexistent --shell /bin/bash \
            --comment "rftp benchmark FTP login" "$USER_"
    fi
    PASS=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
    printf '%s:%s\n' "$USER_" "$PASS" | chpasswd
}

# timed ROW CMD...: CMD under /usr/bin/time and a timeout, its output in the
# row's log; sets SAMPLE="wall cpu rss_kib" and returns CMD's status. The
# wall time is bash's microsecond clock around it (time's %e has 10 ms steps).
timed() {
    local row=$1 status=0 t0 t1 u s m
    shift
    printf '### %s\n' "$*" >>"$(logfile "$row")"
    : >"$WORK/time.out"
    t0=$EPOCHREALTIME
    /usr/bin/time -f '%e %U %S %M' -o "$WORK/time.out" \
        timeout --foreground -k 5 "$TIMEOUT" "$@" </dev/null >>"$(logfile "$row")" 2>&1 || status=$?
    t1=$EPOCHREALTIME
    read -r _ u s m < <(tail -n 1 "$WORK/time.out") || true
    SAMPLE=$(awk -v a="$t0" -v b="$t1" -v u="${u:-0}" -v s="${s:-0}" -v m="${m:-0}" \
        'BEGIN { printf "%.4f %.2f %d", b - a, u + s, m }')
    return "$status"
}

record() { # record ROW RUN STATUS WHY
    local row=$1 run=$2 status=$3 why=$4
    if [ -z "${FAILED[$row]+set}" ]; then
        ROWS+=("$row")
        FAILED[$row]=0
        SAMPLES[$row]=
    fi
    if [ "$status" = 0 ] && [ -z "$why" ]; then
        SAMPLES[$row]+="$SAMPLE"$'\n'
    else
        FAILED[$row]=$((FAILED[$row] + 1))
        [ "$status" = 124 ] && why="timed out after ${TIMEOUT}s${why:+; $why}"
        FAILURE_NOTES+=("${row//|/ / }, run $run: exit $status${why:+ ($why)}; log: $(logfile "$row")")
        log "FAILED: ${row//|/ / }, run $run: exit $status $why"
    fi
}

median() {
    sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) exit; if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# median_wall ROW: empty when any run failed.
median_wall() {
    [ "${FAILED[$1]:-1}" = 0 ] && printf '%s' "${SAMPLES[$1]}" | awk 'NF { print $1 }' | median
}

cell() { # cell ROW: the median, or FAILED
    local wall
    if wall=$(median_wall "$1") && [ -n "$wall" ]; then
        printf '%.2f s' "$wall"
    else
        printf 'FAILED (%s of %s)' "${FAILED[$1]:-?}" "$RUNS"
    fi
}

print_failures() {
    local note
    ((${#FAILURE_NOTES[@]} == 0)) && return 0
    echo
    echo "Failed runs (logs kept in $LOGS):"
    for note in "${FAILURE_NOTES[@]}"; do echo "- $note"; done
}


# cleanup: stops wan.py and the servers, removes the work folder, and the
# logs when no run failed (mirror.sh and wan.sh: `trap cleanup EXIT`).
cleanup() {
    stop_wan
    stop_servers
    [ -n "${WORK:-}" ] && rm -rf -- "$WORK"
    if [ -n "${LOGS:-}" ] && ((${#FAILURE_NOTES[@]} == 0)); then rm -rf -- "$LOGS"; fi
}

# start_benchmark: what mirror.sh and wan.sh do first: servers.sh, the
# traps, the passive port ranges ($VSFTPD_PASV, $PYFTPDLIB_PASV, read by
# servers.sh when it starts a server) with vsftpd's protocol log off, and
# lftp's settings ($LFTP_SET): through wan.py with EPSV (as rftp), no AUTH
# TLS probe (rftp does not try TLS on ftp:// either), fail instead of
# retrying, and exit non-zero when the command fails.
start_benchmark() {
    [ -f .ci/servers.sh ] || die "run from the rftp repo (.ci/servers.sh not found)"
    # shellcheck source=.ci/servers.sh
    source .ci/servers.sh
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    _RFTP_PYFTPDLIB_PASV=$PYFTPDLIB_PASV
    export RFTP_VSFTPD_EXTRA_CONF=${RFTP_VSFTPD_EXTRA_CONF-"log_ftp_protocol=NO
pasv_min_port=${VSFTPD_PASV%-*}
pasv_max_port=${VSFTPD_PASV#*-}"}
    LFTP_SET='set ftp:prefer-epsv yes; set ftp:ssl-allow no; set net:max-retries 1; set cmd:fail-exit yes'
}

# bench_server SERVER: starts SERVER with servers.sh (the benchmark logs in
# to vsftpd as its own user), then runs the script's `round` $RUNS times in
# each of $MODES: on loopback, and across wan.py in front of the server
# (wan), with $CHOST, $CPORT and $URL set for the clients.
bench_server() {
    local pasv
    SERVER=$1
    log "starting $SERVER"
    "start_$SERVER"
    ROOT=$RFTP_TEST_ROOT USER_=$RFTP_TEST_USER PASS=$RFTP_TEST_PASSWORD PORT=${RFTP_TEST_SERVER##*:}
    [ "$SERVER" = vsftpd ] && own_vsftpd_login
    pasv=$VSFTPD_PASV
    [ "$SERVER" = pyftpdlib ] && pasv=$PYFTPDLIB_PASV
    # What the script serves beyond its own per-round data, if anything.
    if declare -F serve_data >/dev/null; then serve_data; fi
    for MODE in $MODES; do
        case $MODE in
        loopback) CHOST=127.0.0.1 ;;
        wan)
            start_wan "$pasv"
            CHOST=$WAN_HOST
            ;;
        *) die "unknown mode $MODE (BENCH_MODES: loopback wan)" ;;
        esac
        CPORT=$PORT
        URL="ftp://$USER_:$PASS@$CHOST:$CPORT"
        for ((RUN = 1; RUN <= RUNS; RUN++)); do
            round
        done
        stop_wan
    done
    stop_servers
}
