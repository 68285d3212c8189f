# shellcheck shell=bash
#
# Start real FTP servers on loopback for rftp's interop tests. Source this
# file (bash), then call:
#
#   start_pyftpdlib   pyftpdlib (PyPI), run as root, its root = a fresh temp dir,
#                     one process per session (see _rftp_write_pyftpdlib_script)
#   start_vsftpd      vsftpd (Debian), our own instance on a free high port
#   start_pyftpdlib_limited N
#                     pyftpdlib allowing N connections per client address
#                     (max_cons_per_ip): more are refused with 421; exports
#                     RFTP_TEST_MAX_CONNECTIONS=N too
#   start_pyftpdlib_tls
#                     pyftpdlib with TLS_FTPHandler (needs pyopenssl): explicit
#                     FTPS (AUTH TLS), TLS required on control and data
#   start_vsftpd_tls explicit|implicit
#                     vsftpd with ssl_enable=YES, TLS required on control and
#                     data, data connections must resume the control
#                     connection's TLS session (require_ssl_reuse=YES);
#                     implicit: TLS from the first byte (implicit_ssl=YES)
#   stop_servers      stop every server started through this file and remove
#                     their temp dirs (RFTP_KEEP_SERVER_DIRS=1 keeps the dirs)
#
# A start_* function exports what the interop tests read:
#   RFTP_TEST_SERVER=127.0.0.1:PORT  RFTP_TEST_USER  RFTP_TEST_PASSWORD
#   RFTP_TEST_ROOT (the local dir that is the session's initial directory)
#   RFTP_TEST_NAME  RFTP_TEST_TELNET_ABORT=1  RFTP_TEST_ACTIVE=1
# and sets RFTP_CI_SERVER_LOG (not exported) to the server's log file.
# The *_tls ones also export
#   RFTP_TEST_TLS=explicit|implicit
#   RFTP_TEST_CA  a PEM file with the test CA's certificate, made fresh (with
#                 the openssl CLI) in the server's temp dir; the server's
#                 certificate is signed by it and valid for DNS:localhost and
#                 IP:127.0.0.1 (RSA 2048, 30 days)
# and the plain ones unset those two. RFTP_SERVER_TLS_MAX=1.2 (read at
# start) caps the *_tls servers at TLS 1.2; unset or empty, they offer 1.3.
#
# Both servers do their file I/O as root, like the tests, so whatever the
# tests create in RFTP_TEST_ROOT (any mode, any umask) can be read,
# overwritten, renamed and deleted through FTP, and what the server writes
# is root's. For vsftpd: guest_enable=YES + guest_username=root maps the
# login `rftptest` (a real local account, checked through PAM) to root, and
# local_root starts the session in RFTP_TEST_ROOT (not chrooted, so PWD is
# the absolute path). Both listen on 127.0.0.1 only; the password is random
# per start. Mind that the vsftpd login is root and not chrooted: "CWD /"
# works, so a test must never DELE/RMD/STOR outside RFTP_TEST_ROOT.
# pyftpdlib confines the session to RFTP_TEST_ROOT (its PWD is "/").
#
# Functions return non-zero, with a message on stderr, on failure: they work
# under `set -e` and in an interactive shell alike.

_RFTP_PIDS=()  # the servers we started (each the leader of its own process group)
_RFTP_MARKS=() # for each, a string its command line contains (its temp dir)
_RFTP_DIRS=()  # temp dirs we made
_RFTP_APT_UPDATED=${_RFTP_APT_UPDATED:-}

# Passive port ranges: below Linux's ephemeral range (32768-60999), so they
# never collide with the ports of outgoing connections; one per server.
_RFTP_PYFTPDLIB_PASV=20000-21999
_RFTP_VSFTPD_PASV_MIN=22000
_RFTP_VSFTPD_PASV_MAX=23999
_RFTP_PYFTPDLIB_TLS_PASV=24000-25999
_RFTP_VSFTPD_TLS_PASV_MIN=26000
_RFTP_VSFTPD_TLS_PASV_MAX=27999
_RFTP_PYFTPDLIB_LIMITED_PASV=30000-31999

_rftp_log() { printf '[servers.sh] %s\n' "$*" >&2; }

_rftp_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

_rftp_random_password() {
    python3 -c 'import secrets; print(secrets.token_hex(12))'
}

# _rftp_alive PID: true if PID exists and is not a zombie.
_rftp_alive() {
    local line state
    { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
    line=${line##*) }
    state=${line%% *}
    [ "$state" != Z ] && [ "$state" != X ]
}

# _rftp_spawn MARK LOGFILE PIDFILE CMD...: start CMD in the background as
# the leader of a new session and process group, stdin closed, output to
# LOGFILE, and remember it for stop_servers. MARK must occur in CMD's
# command line: stop_servers signals only processes of that group whose
# command line contains it, so a recycled pid is never hit. Sets
# _RFTP_SPAWNED_PID. Do not call it inside $(...): the server should stay a
# child of the calling shell so that stop_servers can reap it.
_rftp_spawn() {
    local mark=$1 log=$2 pidfile=$3 i
    shift 3
    _RFTP_SPAWNED_PID=
    rm -f "$pidfile"
    # setsid execs in place, or forks first when called from a process-group
    # leader: the pid file records the real pid either way.
    # shellcheck disable=SC2016
    setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" </dev/null >"$log" 2>&1 &
    for ((i = 0; i < 50; i++)); do
        if [ -s "$pidfile" ]; then
            read -r _RFTP_SPAWNED_PID <"$pidfile"
            _RFTP_PIDS+=("$_RFTP_SPAWNED_PID")
            _RFTP_MARKS+=("$mark")
            return 0
        fi
        sleep 0.1
    done
    _rftp_log "could not start: $*"
    return 1
}

# _rftp_wait_ready PORT PID LOGFILE SECONDS [TLS CAFILE]: wait until PORT
# answers with an FTP 220 greeting; fail if PID dies or the time runs out.
# With TLS=explicit, also send AUTH TLS and expect 234; with TLS=implicit,
# shake hands first and read the greeting through TLS. Either way the
# server's certificate must verify against CAFILE for 127.0.0.1 and for
# localhost: a TLS failure fails at once (no point waiting).
_rftp_wait_ready() {
    local port=$1 pid=$2 log=$3 secs=$4 tls=${5:-} ca=${6:-} deadline status
    deadline=$((SECONDS + secs))
    while ((SECONDS < deadline)); do
        if ! _rftp_alive "$pid"; then
            status=0
            wait "$pid" 2>/dev/null || status=$?
            _rftp_log "server (pid $pid) exited (status $status) before accepting connections on port $port; its output:"
            if [ -s "$log" ]; then
                sed 's/^/    /' "$log" >&2 || true
            else
                _rftp_log "    (none; vsftpd prints no reason for a bad config: check the file it was given)"
            fi
            return 1
        fi
        # Exit status: 0 ready, 1 not yet (retry), 2 TLS failure (give up).
        status=0
        python3 - "$port" "$tls" "$ca" 2>"$log.probe" <<'EOF' || status=$?
import socket, ssl, sys
port, tls, ca = int(sys.argv[1]), sys.argv[2], sys.argv[3]
try:
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
except OSError:
    sys.exit(1)
s.settimeout(5)

def wrap(sock, name):
    ctx = ssl.create_default_context(cafile=ca)
    try:
        return ctx.wrap_socket(sock, server_hostname=name)
    except (ssl.SSLError, ssl.CertificateError, OSError) as e:
        print(f"TLS handshake / certificate check for {name} failed: {e!r}", file=sys.stderr)
        sys.exit(2)

if tls == "implicit":
    s = wrap(s, "127.0.0.1")
try:
    f = s.makefile("rb")
    greeting = f.readline()
except OSError:
    sys.exit(1)
if not greeting.startswith(b"220"):
    sys.exit(1)
if tls == "explicit":
    s.sendall(b"AUTH TLS\r\n")
    reply = f.readline()
    if not reply.startswith(b"234"):
        print(f"AUTH TLS answered {reply!r}", file=sys.stderr)
        sys.exit(2)
    s = wrap(s, "127.0.0.1")
if tls:
    # The second name: a fresh connection, so the check is a full one.
    s2 = socket.create_connection(("127.0.0.1", port), timeout=5)
    s2.settimeout(5)
    if tls == "implicit":
        s2 = wrap(s2, "localhost")
        s2.makefile("rb").readline()
    else:
        f2 = s2.makefile("rb")
        f2.readline()
        s2.sendall(b"AUTH TLS\r\n")
        f2.readline()
        s2 = wrap(s2, "localhost")
    s2.sendall(b"QUIT\r\n")
    s2.close()
    s.sendall(b"QUIT\r\n")
s.close()
EOF
        case $status in
        0)
            rm -f "$log.probe"
            return 0
            ;;
        2)
            _rftp_log "server (pid $pid) on port $port: $(cat "$log.probe")"
            return 1
            ;;
        esac
        sleep 0.2
    done
    _rftp_log "server (pid $pid) did not greet on 127.0.0.1:$port within ${secs}s; its output:"
    sed 's/^/    /' "$log" >&2 || true
    return 1
}

# _rftp_marked PID MARK: true if PID is alive and its command line contains
# MARK.
_rftp_marked() {
    local cmd
    _rftp_alive "$1" || return 1
    cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline") || return 1
    case $cmd in *"$2"*) return 0 ;; esac
    return 1
}

# _rftp_tree PID MARK: print PID, its descendants and the members of its
# process group, those of them alive whose command line contains MARK. (A
# vsftpd session process calls setsid, so the group alone is not enough.)
_rftp_tree() {
    local top=$1 mark=$2 stat line p pp pg cur i
    local -a pids=() ppids=() todo=() found=()
    for stat in /proc/[0-9]*/stat; do
        { read -r line <"$stat"; } 2>/dev/null || continue
        p=${line%% *}
        line=${line##*) } # the fields after "pid (comm) "
        read -r _ pp pg _ <<<"$line"
        pids+=("$p")
        ppids+=("$pp")
        if [ "$pg" = "$top" ] && [ "$p" != "$top" ]; then
            found+=("$p")
        fi
    done
    todo=("$top")
    while ((${#todo[@]} > 0)); do
        cur=${todo[0]}
        todo=("${todo[@]:1}")
        found+=("$cur")
        for ((i = 0; i < ${#pids[@]}; i++)); do
            if [ "${ppids[i]}" = "$cur" ]; then
                todo+=("${pids[i]}")
            fi
        done
    done
    for p in $(printf '%s\n' "${found[@]}" | sort -un); do
        if _rftp_marked "$p" "$mark"; then
            echo "$p"
        fi
    done
}

# _rftp_kill_group PID MARK: SIGTERM the server PID and the session
# processes it forked (those carrying MARK), SIGKILL what is left after 5 s,
# and reap PID if it is our child.
_rftp_kill_group() {
    local pid=$1 mark=$2 targets left p i
    targets=$(_rftp_tree "$pid" "$mark")
    if [ -n "$targets" ]; then
        # shellcheck disable=SC2086
        kill -TERM $targets 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            left=
            for p in $targets; do
                if _rftp_marked "$p" "$mark"; then
                    left="$left $p"
                fi
            done
            [ -n "$left" ] || break
            sleep 0.1
        done
        if [ -n "$left" ]; then
            _rftp_log "SIGKILL to$left (still running 5 s after SIGTERM)"
            # shellcheck disable=SC2086
            kill -KILL $left 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || true
}

# _rftp_drop_last: forget the last server started (after killing it).
_rftp_drop_last() {
    local n=${#_RFTP_PIDS[@]}
    if ((n > 0)); then
        _RFTP_PIDS=("${_RFTP_PIDS[@]:0:n-1}")
        _RFTP_MARKS=("${_RFTP_MARKS[@]:0:n-1}")
    fi
}

_rftp_export() { # NAME PORT USER PASSWORD ROOT ACTIVE [TLS CAFILE]
    export RFTP_TEST_NAME=$1
    export RFTP_TEST_SERVER="127.0.0.1:$2"
    export RFTP_TEST_USER=$3
    export RFTP_TEST_PASSWORD=$4
    export RFTP_TEST_ROOT=$5
    export RFTP_TEST_TELNET_ABORT=1
    export RFTP_TEST_ACTIVE=$6
    if [ -n "${7:-}" ]; then
        export RFTP_TEST_TLS=$7
        export RFTP_TEST_CA=$8
        _rftp_log "$1 ready: RFTP_TEST_SERVER=$RFTP_TEST_SERVER RFTP_TEST_ROOT=$RFTP_TEST_ROOT RFTP_TEST_TLS=$RFTP_TEST_TLS RFTP_TEST_CA=$RFTP_TEST_CA${RFTP_SERVER_TLS_MAX:+ RFTP_SERVER_TLS_MAX=$RFTP_SERVER_TLS_MAX} (log: $RFTP_CI_SERVER_LOG)"
    else
        unset RFTP_TEST_TLS RFTP_TEST_CA
        _rftp_log "$1 ready: RFTP_TEST_SERVER=$RFTP_TEST_SERVER RFTP_TEST_ROOT=$RFTP_TEST_ROOT (log: $RFTP_CI_SERVER_LOG)"
    fi
}

# _rftp_pip_install MODULE PACKAGE: pip install PACKAGE unless python3 can
# already import MODULE.
_rftp_pip_install() {
    python3 -c "import $1" 2>/dev/null && return 0
    _rftp_log "installing $2"
    # If python3 is Debian's own (PEP 668 "externally managed"), pip
    # refuses at first; it is then asked again with
    # PIP_BREAK_SYSTEM_PACKAGES=1 (and that try's errors are shown).
    PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 \
        python3 -m pip install --quiet "$2" 2>/dev/null ||
        PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_BREAK_SYSTEM_PACKAGES=1 \
            python3 -m pip install --quiet "$2" || {
        _rftp_log "pip install $2 failed"
        return 1
    }
    python3 -c "import $1" || {
        _rftp_log "pip installed $2, but python3 cannot import $1"
        return 1
    }
}

# _rftp_apt_install PACKAGE: apt-get install PACKAGE (apt-get update first,
# once per shell).
_rftp_apt_install() {
    _rftp_log "installing $1"
    if [ -z "$_RFTP_APT_UPDATED" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq || {
            _rftp_log "apt-get update failed"
            return 1
        }
        _RFTP_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null || {
        _rftp_log "apt-get install $1 failed"
        return 1
    }
}

# _rftp_tls_max: check RFTP_SERVER_TLS_MAX; print it (empty: no cap).
_rftp_tls_max() {
    case ${RFTP_SERVER_TLS_MAX:-} in
    "" | 1.3) echo "" ;;
    1.2) echo 1.2 ;;
    *)
        _rftp_log "RFTP_SERVER_TLS_MAX must be 1.2, 1.3 or empty, not '$RFTP_SERVER_TLS_MAX'"
        return 1
        ;;
    esac
}

# _rftp_make_certs DIR: make a test CA and a server certificate signed by
# it, valid for DNS:localhost and IP:127.0.0.1, in DIR: DIR/ca.pem (what a
# client trusts), DIR/server.pem and DIR/server.key (what the server
# presents). The CA's key is deleted once it has signed. RSA 2048, 30 days.
_rftp_make_certs() {
    local d=$1 serial
    if ! command -v openssl >/dev/null; then
        _rftp_apt_install openssl || return 1
    fi
    cat >"$d/openssl.cnf" <<'EOF'
# rftp CI test certificates (written by .ci/servers.sh)
[req]
distinguished_name = dn
prompt = no
[dn]
CN = rftp CI test
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
    serial=$(python3 -c 'import secrets; print("0x" + secrets.token_hex(8))') || return 1
    (
        umask 077
        openssl req -config "$d/openssl.cnf" -x509 -new -newkey rsa:2048 -nodes \
            -keyout "$d/ca.key" -out "$d/ca.pem" -days 30 \
            -subj "/O=rftp CI/CN=rftp CI test CA" -extensions ca_ext &&
            openssl req -config "$d/openssl.cnf" -new -newkey rsa:2048 -nodes \
                -keyout "$d/server.key" -out "$d/server.csr" -subj "/O=rftp CI/CN=localhost" &&
            openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
                -set_serial "$serial" -days 30 -sha256 \
                -extfile "$d/openssl.cnf" -extensions server_ext -out "$d/server.pem" &&
            openssl verify -CAfile "$d/ca.pem" -verify_hostname localhost \
                -verify_ip 127.0.0.1 -purpose sslserver "$d/server.pem"
    ) >"$d/openssl.log" 2>&1 || {
        _rftp_log "making the test certificates in $d failed:"
        sed 's/^/    /' "$d/openssl.log" >&2 || true
        return 1
    }
    rm -f "$d/ca.key" "$d/server.csr"
    chmod 0644 "$d/ca.pem" "$d/server.pem"
}

# Writes DIR/serve.py: pyftpdlib serving a folder to one user, with or
# without explicit FTPS. Each session runs in a process of its own
# (MultiprocessFTPServer): with pyftpdlib's one event loop for all sessions,
# concurrent sessions lost events now and then (pyftpdlib 2.2.0, four test
# runs at once: the server sat idle in epoll_wait while a session waited for
# its reply to AUTH or STOR, or answered "421 Passive data channel timed
# out"; its debug log shows a data handler registering again a descriptor
# another handler had dropped). The CLI's `--concurrency multi-proc` fails to
# start in 2.2.0, and its TLS options only exist from 2.0 on, hence a script.
# The password comes through the environment, and so does a limit of
# connections per client address (RFTP_PYFTPDLIB_MAX_CONS_PER_IP, 0 for none).
_rftp_write_pyftpdlib_script() {
    cat >"$1/serve.py" <<'EOF'
# rftp CI: pyftpdlib, plain or with explicit FTPS (written by .ci/servers.sh)
# usage: serve.py PORT USER ROOT PASV_RANGE [CERTFILE KEYFILE TLS_MAX]
import os
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import MultiprocessFTPServer, ThreadedFTPServer

port, user, root, pasv = sys.argv[1:5]
tls = sys.argv[5:8]
low, high = (int(p) for p in pasv.split("-"))

authorizer = DummyAuthorizer()
authorizer.add_user(user, os.environ.pop("RFTP_PYFTPDLIB_PASSWORD"), root, perm="elradfmwMT")


if tls:
    # Only here: TLS_FTPHandler needs pyOpenSSL, which the plain server's
    # machine may not have (a fresh CI machine starts the plain one first).
    from pyftpdlib.handlers import TLS_FTPHandler

    Base = TLS_FTPHandler
else:
    Base = FTPHandler


class Handler(Base):
    pass


Handler.authorizer = authorizer
Handler.passive_ports = range(low, high + 1)
if tls:
    certfile, keyfile, tls_max = tls
    Handler.certfile = certfile
    Handler.keyfile = keyfile
    Handler.tls_control_required = True  # USER/PASS before AUTH TLS -> 550
    Handler.tls_data_required = True  # PASV/EPSV/PORT/EPRT before PROT P -> 550
    if tls_max == "1.2":
        from OpenSSL import SSL

        Handler.ssl_options |= SSL.OP_NO_TLSv1_3

max_cons_per_ip = int(os.environ.pop("RFTP_PYFTPDLIB_MAX_CONS_PER_IP", "0") or "0")
if max_cons_per_ip:
    # pyftpdlib counts a client's connections in the process that accepts
    # them, and MultiprocessFTPServer counts a session out as soon as its
    # process is forked: the limit holds only for sessions in threads.
    server = ThreadedFTPServer(("127.0.0.1", int(port)), Handler)
    server.max_cons_per_ip = max_cons_per_ip
else:
    server = MultiprocessFTPServer(("127.0.0.1", int(port)), Handler)
server.serve_forever()
EOF
}

# Starts DIR/serve.py (written above) and exports what the tests read; with
# CERTFILE, explicit FTPS whose CA is DIR/ca.pem.
# usage: _rftp_start_pyftpdlib NAME DIR PASS PASV_RANGE [CERTFILE KEYFILE TLS_MAX]
_rftp_start_pyftpdlib() {
    local name=$1 dir=$2 pass=$3 pasv=$4 port pid attempt
    shift 4
    local tls_args=()
    [ $# -eq 0 ] || tls_args=(explicit "$dir/ca.pem")
    _rftp_write_pyftpdlib_script "$dir" || return 1
    # The free port could be taken before the server binds it: if the
    # server dies at start, try again with another port.
    for attempt in 1 2 3; do
        port=$(_rftp_free_port) || return 1
        PYTHONUNBUFFERED=1 RFTP_PYFTPDLIB_PASSWORD=$pass \
            RFTP_PYFTPDLIB_MAX_CONS_PER_IP=${_RFTP_PYFTPDLIB_MAX_CONS_PER_IP:-0} \
            _rftp_spawn "$dir" "$RFTP_CI_SERVER_LOG" "$dir/server.pid" \
            python3 "$dir/serve.py" "$port" rftptest "$dir/root" "$pasv" "$@" || return 1
        pid=$_RFTP_SPAWNED_PID
        if _rftp_wait_ready "$port" "$pid" "$RFTP_CI_SERVER_LOG" 20 "${tls_args[@]}"; then
            _rftp_export "$name" "$port" rftptest "$pass" "$dir/root" 1 "${tls_args[@]}"
            return 0
        fi
        _rftp_kill_group "$pid" "$dir"
        _rftp_drop_last
        _rftp_log "$name start attempt $attempt failed"
    done
    return 1
}

# _rftp_pyftpdlib_dir NAME: a fresh folder for a pyftpdlib server, with its
# root/ (removed by stop_servers); its path in $_RFTP_DIR, and the server's
# log named in $RFTP_CI_SERVER_LOG.
_rftp_pyftpdlib_dir() {
    _rftp_pip_install pyftpdlib pyftpdlib || return 1
    _RFTP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/rftp-$1.XXXXXX") || return 1
    _RFTP_DIRS+=("$_RFTP_DIR")
    mkdir -m 0755 "$_RFTP_DIR/root" || return 1
    RFTP_CI_SERVER_LOG="$_RFTP_DIR/server.log"
}

start_pyftpdlib() {
    local pass
    _rftp_pyftpdlib_dir pyftpdlib || return 1
    pass=$(_rftp_random_password) || return 1
    _rftp_start_pyftpdlib pyftpdlib "$_RFTP_DIR" "$pass" "$_RFTP_PYFTPDLIB_PASV"
}

# start_pyftpdlib_limited N: pyftpdlib refusing a client's connections past
# N at once (421), for batches that must make do with fewer (issue #12).
start_pyftpdlib_limited() {
    local pass
    case ${1:-} in
    [1-9] | [1-9][0-9]) ;;
    *)
        _rftp_log "usage: start_pyftpdlib_limited N (connections per client, 1-99)"
        return 1
        ;;
    esac
    # Read by _rftp_start_pyftpdlib (bash's dynamic scope).
    local _RFTP_PYFTPDLIB_MAX_CONS_PER_IP=$1
    _rftp_pyftpdlib_dir pyftpdlib-limited || return 1
    pass=$(_rftp_random_password) || return 1
    _rftp_start_pyftpdlib "pyftpdlib-limited-$1" "$_RFTP_DIR" "$pass" "$_RFTP_PYFTPDLIB_LIMITED_PASV" || return 1
    export RFTP_TEST_MAX_CONNECTIONS=$1
}

start_pyftpdlib_tls() {
    local dir pass tls_max
    tls_max=$(_rftp_tls_max) || return 1
    _rftp_pip_install OpenSSL pyopenssl || return 1
    _rftp_pyftpdlib_dir pyftpdlib-tls || return 1
    dir=$_RFTP_DIR
    _rftp_make_certs "$dir" || return 1
    pass=$(_rftp_random_password) || return 1
    _rftp_start_pyftpdlib pyftpdlib-tls "$dir" "$pass" "$_RFTP_PYFTPDLIB_TLS_PASV" \
        "$dir/server.pem" "$dir/server.key" "$tls_max"
}

start_vsftpd() {
    _rftp_start_vsftpd ""
}

start_vsftpd_tls() {
    case ${1:-} in
    explicit | implicit) _rftp_start_vsftpd "$1" ;;
    *)
        _rftp_log "usage: start_vsftpd_tls explicit|implicit"
        return 1
        ;;
    esac
}

# _rftp_start_vsftpd TLS: start vsftpd, plain if TLS is empty, else with
# FTPS (TLS = explicit or implicit).
_rftp_start_vsftpd() {
    local tls=$1 name=vsftpd prefix=rftp-vsftpd dir port pass pid attempt conf tls_max=
    local -a env=()
    local pasv_min=$_RFTP_VSFTPD_PASV_MIN pasv_max=$_RFTP_VSFTPD_PASV_MAX
    if [ -n "$tls" ]; then
        name=vsftpd-tls-$tls
        prefix=rftp-vsftpd-tls
        pasv_min=$_RFTP_VSFTPD_TLS_PASV_MIN
        pasv_max=$_RFTP_VSFTPD_TLS_PASV_MAX
        tls_max=$(_rftp_tls_max) || return 1
    fi
    if [ ! -x /usr/sbin/vsftpd ]; then
        # Where an init system runs, the package starts Debian's service on
        # port 21. It is left alone: our instance has its own port and config.
        _rftp_apt_install vsftpd || return 1
    fi
    # vsftpd will not start without its secure_chroot_dir (/var/run may be a
    # fresh tmpfs).
    mkdir -p /var/run/vsftpd/empty || return 1

    # The login is a real local account, so that PAM (service vsftpd: the
    # /etc/ftpusers deny list, pam_shells, pam_unix) accepts it.
    if ! id rftptest >/dev/null 2>&1; then
        useradd --no-create-home --home-dir /nonexistent --shell /bin/bash \
            --comment "rftp CI FTP login" rftptest || return 1
    fi
    pass=$(_rftp_random_password) || return 1
    printf 'rftptest:%s\n' "$pass" | chpasswd || return 1

    dir=$(mktemp -d "${TMPDIR:-/tmp}/$prefix.XXXXXX") || return 1
    _RFTP_DIRS+=("$dir")
    mkdir -m 0755 "$dir/root" || return 1
    if [ -n "$tls" ]; then
        _rftp_make_certs "$dir" || return 1
        if [ -n "$tls_max" ]; then
            # vsftpd 3.0.3 has no option for it; OpenSSL's config does it.
            cat >"$dir/openssl-server.cnf" <<EOF
openssl_conf = rftp_init
[rftp_init]
ssl_conf = rftp_ssl
[rftp_ssl]
system_default = rftp_system
[rftp_system]
MaxProtocol = TLSv$tls_max
EOF
            env=(env "OPENSSL_CONF=$dir/openssl-server.cnf")
        fi
    fi
    conf="$dir/vsftpd.conf"
    for attempt in 1 2 3; do
        port=$(_rftp_free_port) || return 1
        cat >"$conf" <<EOF
# rftp CI instance (written by .ci/servers.sh)
listen=YES
listen_ipv6=NO
background=NO
listen_address=127.0.0.1
listen_port=$port
pasv_enable=YES
pasv_min_port=$pasv_min
pasv_max_port=$pasv_max
port_enable=YES
connect_from_port_20=NO
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=022
pam_service_name=vsftpd
# Log in as rftptest, do file I/O as root (like the tests), start in our dir.
guest_enable=YES
guest_username=root
virtual_use_local_privs=YES
local_root=$dir/root
chroot_local_user=NO
# Debian's default, stated: ABOR is read only after the transfer ends, so a
# client aborting a RETR must close the data connection (-> 426, then 225).
# With YES, Telnet IP + Synch + ABOR stops the transfer (-> 426, then 226).
async_abor_enable=NO
# Friendlier to containers: no seccomp filter, no clone(CLONE_NEWPID/NEWNET).
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
secure_chroot_dir=/var/run/vsftpd/empty
# Log every command and reply, for failed CI runs.
vsftpd_log_file=$dir/vsftpd.log
xferlog_enable=YES
xferlog_std_format=NO
log_ftp_protocol=YES
EOF
        if [ -n "$tls" ]; then
            cat >>"$conf" <<EOF
# FTPS: TLS required before USER and for every data connection, and a data
# connection must resume the control connection's TLS session.
ssl_enable=YES
allow_anon_ssl=NO
force_local_logins_ssl=YES
force_local_data_ssl=YES
require_ssl_reuse=YES
# With OpenSSL 3, vsftpd's default cipher list fails every handshake.
ssl_ciphers=HIGH
rsa_cert_file=$dir/server.pem
rsa_private_key_file=$dir/server.key
implicit_ssl=$([ "$tls" = implicit ] && echo YES || echo NO)
EOF
        fi
        # Extra lines for experiments, e.g. RFTP_VSFTPD_EXTRA_CONF=async_abor_enable=YES
        # (a later line wins).
        if [ -n "${RFTP_VSFTPD_EXTRA_CONF:-}" ]; then
            printf '%s\n' "$RFTP_VSFTPD_EXTRA_CONF" >>"$conf"
        fi
        _rftp_spawn "$dir" "$dir/server.out" "$dir/server.pid" ${env[@]+"${env[@]}"} /usr/sbin/vsftpd "$conf" || return 1
        pid=$_RFTP_SPAWNED_PID
        if _rftp_wait_ready "$port" "$pid" "$dir/server.out" 20 "$tls" "$dir/ca.pem"; then
            RFTP_CI_SERVER_LOG="$dir/vsftpd.log"
            if [ -n "$tls" ]; then
                _rftp_export "$name" "$port" rftptest "$pass" "$dir/root" 1 "$tls" "$dir/ca.pem"
            else
                _rftp_export "$name" "$port" rftptest "$pass" "$dir/root" 1
            fi
            return 0
        fi
        _rftp_kill_group "$pid" "$dir"
        _rftp_drop_last
        _rftp_log "$name start attempt $attempt failed"
    done
    return 1
}

stop_servers() {
    local i dir
    for ((i = 0; i < ${#_RFTP_PIDS[@]}; i++)); do
        _rftp_kill_group "${_RFTP_PIDS[i]}" "${_RFTP_MARKS[i]}"
    done
    _RFTP_PIDS=()
    _RFTP_MARKS=()
    if [ "${RFTP_KEEP_SERVER_DIRS:-}" != 1 ]; then
        for dir in ${_RFTP_DIRS[@]+"${_RFTP_DIRS[@]}"}; do
            case $dir in
            */rftp-pyftpdlib.* | */rftp-vsftpd.* | */rftp-pyftpdlib-tls.* | */rftp-vsftpd-tls.* | */rftp-pyftpdlib-limited.*)
                rm -rf -- "$dir"
                ;;
            esac
        done
    fi
    _RFTP_DIRS=()
    unset RFTP_TEST_NAME RFTP_TEST_SERVER RFTP_TEST_USER RFTP_TEST_PASSWORD \
        RFTP_TEST_ROOT RFTP_TEST_TELNET_ABORT RFTP_TEST_ACTIVE RFTP_TEST_TLS RFTP_TEST_CA \
        RFTP_TEST_MAX_CONNECTIONS RFTP_CI_SERVER_LOG
    return 0
}
