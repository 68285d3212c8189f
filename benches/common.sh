# benches/common.sh: what benches/transfer.sh and benches/mirror.sh share
# (messages, installing the tools, the binary under test, tree sizes,
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
