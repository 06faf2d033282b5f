#!/usr/bin/env bash
# KalkiEdge live testbed: network namespaces + veth pairs around the appliance's two ports.
#
#   IoT LAN (<p>-lan, Linux bridge br0)            appliance (<p>-app)         uplink (<p>-wan, Linux bridge br0)
#   hue, wemo, udoo, cam  ── br0 ── app ══ dev0 [ user-space bridge ] up0 ══ app ── br0 ── cloud, attacker
#
# Everything is one L2 segment, 192.0.2.0/24: the appliance is a transparent bridge, so devices and
# cloud/attacker hosts must share the subnet for frames (not routed packets) to cross it.
# The appliance namespace has NO kernel bridge and NO IP forwarding: nothing crosses unless a
# user-space bridge (KalkiEdge) or `bridge-baseline on` (the benchmark's kernel reference) forwards.
#
# Usage: testbed.sh [--prefix P] COMMAND   (see usage() below or README.md)
set -Eeuo pipefail
# -E and this trap name the command and line that failed, so a failure is never silent.
trap 'echo "testbed.sh[${PREFIX:-?}]: error: \"$BASH_COMMAND\" failed (exit $?) at line $LINENO in ${FUNCNAME[*]:-main}" >&2' ERR

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=${PYTHON:-python3}
PREFIX=${KE_TESTBED_PREFIX:-ke}
STATE_ROOT=${KE_TESTBED_STATE:-/run/kalki-testbed}
JSON=0
REPLACE=0
SERVER_SECONDS=3600

# Hosts: name, side (lan = IoT device port side, wan = uplink side), MAC, IPv4 (/24), index.
# MACs are locally administered (02:4b:45 = "KE"), the 4th byte says the role, so a MAC in a capture
# tells you which host sent it. The index numbers the host's port on its side's bridge.
readonly HOSTS="
hue      lan 02:4b:45:01:00:10 192.0.2.10  1
wemo     lan 02:4b:45:01:00:11 192.0.2.11  2
udoo     lan 02:4b:45:01:00:12 192.0.2.12  3
cam      lan 02:4b:45:01:00:13 192.0.2.13  4
cloud    wan 02:4b:45:02:00:64 192.0.2.100 1
attacker wan 02:4b:45:03:00:c8 192.0.2.200 2
"
readonly APP_DEV_MAC=02:4b:45:00:00:01    # appliance device port dev0
readonly APP_UP_MAC=02:4b:45:00:00:02     # appliance uplink port up0
readonly BASELINE_BRIDGE=kbr0             # kernel reference bridge inside <p>-app (benchmark only)
readonly BASELINE_MAC=02:4b:45:00:00:ff

usage() {
    cat <<'EOF'
usage: testbed.sh [--prefix P] COMMAND [options]
  up [--replace]            build the testbed (fails if P's namespaces exist, unless --replace)
  down                      remove every namespace named P-*, its processes and state (idempotent)
  status [--json]           namespaces, interfaces, MACs, IPs, servers, credentials, baseline state
  start-servers [--max-seconds N]   (re)start the fake device and cloud servers, new secrets (lifetime 3600 s)
  stop-servers              stop them (waits until they are gone)
  bridge-baseline on|off    kernel bridge dev0<->up0 inside P-app (benchmark reference) / remove it
  exec HOST CMD...          run CMD inside P-HOST (hue wemo udoo cam cloud attacker app lan wan)
  new-prefix                print an unused prefix (ke + 6 hex digits) for a parallel-safe run
  list                      list prefixes that currently have namespaces
options: --prefix P (or $KE_TESTBED_PREFIX; default ke), state in $KE_TESTBED_STATE (/run/kalki-testbed)
EOF
}

log() { echo "testbed.sh[$PREFIX]: $*" >&2; }
die() { echo "testbed.sh[$PREFIX]: error: $*" >&2; exit 1; }

ns() { echo "$PREFIX-$1"; }
nsx() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }
state_dir() { echo "$STATE_ROOT/$PREFIX"; }
prefixed_namespaces() { ip netns list 2>/dev/null | awk -v p="$PREFIX-" 'index($1, p) == 1 { print $1 }'; }
ns_exists() { ip netns list 2>/dev/null | awk '{ print $1 }' | grep -qx "$(ns "$1")"; }

require_root() {
    [[ $EUID -eq 0 ]] || die "must run as root (creates network namespaces and veth pairs)"
    command -v ip >/dev/null || die "iproute2 'ip' not found"
    command -v "$PY" >/dev/null || die "python3 not found (set PYTHON=...)"
}

require_up() {
    if ! { ns_exists app && ns_exists lan && ns_exists wan; }; then
        die "no testbed with prefix '$PREFIX' (run: testbed.sh --prefix $PREFIX up)"
    fi
}

# ---- building blocks -----------------------------------------------------------------------------

# A namespace with loopback up, IPv6 off and no forwarding. IPv6 is disabled before any interface
# exists (the 'default' sysctl is inherited by new interfaces) so there are no DAD, router
# solicitation or MLD frames: every frame on the testbed is one a test or a server sent.
make_ns() {
    local n; n=$(ns "$1")
    ip netns add "$n" || die "cannot create namespace $n (kernel without netns support?)"
    ip -n "$n" link set lo up
    ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
        net.ipv4.ip_forward=0 >/dev/null
}

# A veth pair created directly inside its two namespaces: interface names never touch the root
# namespace, so parallel testbeds with different prefixes cannot collide on names.
veth() {
    local ns_a=$1 if_a=$2 mac_a=$3 ns_b=$4 if_b=$5 mac_b=$6
    ip link add "$if_a" netns "$(ns "$ns_a")" address "$mac_a" type veth \
        peer name "$if_b" netns "$(ns "$ns_b")" address "$mac_b" ||
        die "cannot create veth $ns_a/$if_a <-> $ns_b/$if_b"
}

# A plain learning bridge: STP off and forward delay 0 so ports forward at once (no 15 s listening
# phase that would make the first seconds of a test flaky), multicast snooping off so multicast floods.
# It passes LLDP (group 01:80:c2:00:00:0e, group_fwd_mask bit 14), which an 802.1D bridge would keep: in the
# field a device is wired to the appliance's port, so the appliance is the nearest bridge its LLDP reaches.
make_bridge() {
    local side=$1 mac=$2
    ip -n "$(ns "$side")" link add br0 address "$mac" type bridge stp_state 0 forward_delay 0 mcast_snooping 0 \
        group_fwd_mask 0x4000
    ip -n "$(ns "$side")" link set br0 up
}

attach() {  # attach <side> <port>: enslave a port to the side's bridge and bring it up
    ip -n "$(ns "$1")" link set "$2" master br0
    ip -n "$(ns "$1")" link set "$2" up
}

add_host() {
    local name=$1 side=$2 mac=$3 ip=$4 index=$5 bridge_mac
    bridge_mac=$(printf '02:4b:45:%s:00:%02x' "$([[ $side == lan ]] && echo 0a || echo 0b)" $((index + 16)))
    make_ns "$name"
    veth "$name" eth0 "$mac" "$side" "$name" "$bridge_mac"
    ip -n "$(ns "$name")" addr add "$ip/24" dev eth0
    ip -n "$(ns "$name")" link set eth0 up
    # Hosts must put complete checksums on the wire, as real NICs do, or every TCP/UDP frame a
    # user-space bridge re-injects arrives corrupt (see tools/offload.py).
    nsx "$name" "$PY" "$HERE/tools/offload.py" eth0
    attach "$side" "$name"
}

# ---- commands ------------------------------------------------------------------------------------

cmd_up() {
    require_root
    if [[ -n $(prefixed_namespaces) ]]; then
        ((REPLACE)) || die "namespaces with prefix '$PREFIX-' exist (left over?): run 'down' first, pass --replace, or use another --prefix"
        cmd_down
    fi
    # Anything that fails from here on leaves a half-built testbed: remove it before exiting.
    # shellcheck disable=SC2154  # rc is assigned inside the trap string itself
    trap 'rc=$?; if ((rc)); then log "up failed (exit $rc); removing the partial testbed"; cmd_down || true; fi' EXIT

    mkdir -p "$(state_dir)/logs" "$(state_dir)/pids"
    make_ns lan; make_bridge lan 02:4b:45:0a:00:00
    make_ns wan; make_bridge wan 02:4b:45:0b:00:00
    make_ns app
    veth app dev0 "$APP_DEV_MAC" lan app 02:4b:45:0a:00:01
    veth app up0 "$APP_UP_MAC" wan app 02:4b:45:0b:00:01
    ip -n "$(ns app)" link set dev0 up
    ip -n "$(ns app)" link set up0 up
    attach lan app
    attach wan app
    local name side mac ip index
    while read -r name side mac ip index; do
        [[ -n $name ]] && add_host "$name" "$side" "$mac" "$ip" "$index"
    done <<<"$HOSTS"
    write_topology
    trap - EXIT
    log "up: $(prefixed_namespaces | tr '\n' ' ')"
}

write_topology() {
    printf '%s\n' "$HOSTS" | "$PY" "$HERE/tools/status.py" write-topology --prefix "$PREFIX" \
        --state "$(state_dir)" --app-dev-mac "$APP_DEV_MAC" --app-up-mac "$APP_UP_MAC"
}

cmd_down() {
    require_root
    local n
    for n in $(prefixed_namespaces); do kill_ns_processes "$n"; done
    for n in $(prefixed_namespaces); do ip netns del "$n" 2>/dev/null || log "could not delete namespace $n"; done
    rm -rf "$(state_dir)"
    [[ -z $(prefixed_namespaces) ]] || die "namespaces remain after down: $(prefixed_namespaces | tr '\n' ' ')"
}

# Deleting a namespace does not stop processes inside it (they would keep it alive), so servers and
# traffic tools a test left running are stopped first: TERM, a bounded grace period, then KILL.
kill_ns_processes() {
    local n=$1 pids
    pids=$(ip netns pids "$n" 2>/dev/null || true)
    [[ -z $pids ]] && return 0
    # $pids is a whitespace-separated list of numbers: word splitting is intended here.
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null || true
    for _ in $(seq 20); do
        pids=$(ip netns pids "$n" 2>/dev/null || true)
        [[ -z $pids ]] && return 0
        sleep 0.1
    done
    log "processes $pids in $n ignored SIGTERM for 2 s; killing"
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
}

cmd_status() {
    if ((JSON)); then
        "$PY" "$HERE/tools/status.py" show --prefix "$PREFIX" --state "$(state_dir)"
        return
    fi
    local n
    [[ -n $(prefixed_namespaces) ]] || { echo "no testbed with prefix '$PREFIX'"; return 0; }
    for n in $(prefixed_namespaces); do
        echo "== $n"
        # grep -v exits 1 when only lo exists (e.g. no IPv4 in <p>-app): not an error here.
        ip -n "$n" -br link show | { grep -v '^lo ' || true; } | sed 's/^/   link /'
        ip -n "$n" -br -4 addr show | { grep -v '^lo ' || true; } | sed 's/^/   addr /'
    done
    echo "baseline bridge: $(baseline_state)"
    [[ -f $(state_dir)/credentials.json ]] && echo "credentials: $(cat "$(state_dir)/credentials.json")"
    return 0
}

baseline_state() {
    ip -n "$(ns app)" link show "$BASELINE_BRIDGE" >/dev/null 2>&1 && echo on || echo off
}

cmd_bridge_baseline() {
    require_root
    require_up
    local a; a=$(ns app)
    case ${1:-} in
    on)
        if [[ $(baseline_state) == off ]]; then
            ip -n "$a" link add "$BASELINE_BRIDGE" address "$BASELINE_MAC" type bridge \
                stp_state 0 forward_delay 0 mcast_snooping 0
            ip -n "$a" link set dev0 master "$BASELINE_BRIDGE"
            ip -n "$a" link set up0 master "$BASELINE_BRIDGE"
            ip -n "$a" link set "$BASELINE_BRIDGE" up
        fi
        log "kernel baseline bridge ON: dev0 <-> up0 forwarded by $BASELINE_BRIDGE in $a"
        ;;
    off)
        ip -n "$a" link del "$BASELINE_BRIDGE" 2>/dev/null || true
        log "kernel baseline bridge OFF: nothing crosses $a unless a user-space bridge runs"
        ;;
    *) die "bridge-baseline needs 'on' or 'off', got '${1:-}'" ;;
    esac
}

random_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

cmd_start_servers() {
    require_root
    require_up
    local hue_token cam_password ssh_password
    cmd_stop_servers  # start-servers is a restart: fresh secrets, no port clash with old servers
    # Fresh secrets per run: tests must read them from status --json; nothing guessable is baked in,
    # so the camera's factory default admin:admin is guaranteed to fail.
    hue_token=$(random_hex 20)
    cam_password=cam-$(random_hex 6)
    ssh_password=ssh-$(random_hex 6)
    # shellcheck disable=SC2154  # rc is assigned inside the trap string itself
    trap 'rc=$?; if ((rc)); then log "start-servers failed (exit $rc); stopping what started"; cmd_stop_servers || true; fi' EXIT
    start_server hue hue hue.py 80 --token "$hue_token"
    start_server wemo wemo wemo.py 49153
    start_server udoo ssh sshlike.py 22 --user udooer --password "$ssh_password"
    start_server cam camera camera.py 80 --user admin --password "$cam_password"
    start_server cloud cloud cloud.py 80 --echo-port 7
    printf '{"hue": {"token": "%s"}, "cam": {"user": "admin", "password": "%s"}, "udoo": {"user": "udooer", "password": "%s"}}\n' \
        "$hue_token" "$cam_password" "$ssh_password" >"$(state_dir)/credentials.json"
    trap - EXIT
    log "servers up (logs in $(state_dir)/logs, lifetime ${SERVER_SECONDS}s)"
}

# start_server <host> <name> <script> <port> [args...]: start in the host's namespace, detached
# (setsid) so it outlives this script, then wait (bounded) until its port listens.
start_server() {
    local host=$1 name=$2 script=$3 port=$4; shift 4
    local logs pidfile
    logs=$(state_dir)/logs
    pidfile=$(state_dir)/pids/$name.pid
    rm -f "$pidfile"
    # Called directly (not through nsx) so the background child execs ip; no subshell keeps the
    # caller's stdout pipe open, so a test reading our output is not blocked for the server's life.
    ip netns exec "$(ns "$host")" setsid "$PY" "$HERE/servers/$script" --port "$port" --log "$logs/$name.log" \
        --pidfile "$pidfile" --max-seconds "$SERVER_SECONDS" "$@" \
        </dev/null >>"$logs/$name.stderr" 2>&1 &
    printf '{"name": "%s", "host": "%s", "namespace": "%s", "script": "%s", "port": %d, "log": "%s", "pidfile": "%s"}\n' \
        "$name" "$host" "$(ns "$host")" "$script" "$port" "$logs/$name.log" "$pidfile" >"$(state_dir)/pids/$name.json"
    for _ in $(seq 50); do
        if [[ -s $pidfile ]] && nsx "$host" ss -Hltn "sport = :$port" | grep -q .; then return 0; fi
        kill -0 $! 2>/dev/null || die "server $name ($script) in $(ns "$host") exited: $(tail -n 3 "$logs/$name.stderr")"
        sleep 0.1
    done
    die "server $name ($script) in $(ns "$host") not listening on :$port after 5 s; see $logs/$name.stderr"
}

cmd_stop_servers() {
    local pidfile pid stopped=()
    for pidfile in "$(state_dir)"/pids/*.pid; do
        [[ -f $pidfile ]] || continue
        pid=$(<"$pidfile")
        # Only signal the pid if it is still one of our servers (a stale pid may have been reused).
        if is_our_server "$pid"; then
            kill -TERM "$pid" 2>/dev/null || true
            stopped+=("$pid")
        fi
        rm -f "$pidfile" "${pidfile%.pid}.json"
    done
    rm -f "$(state_dir)/credentials.json"
    # Wait (bounded) until they are gone, so a restart can bind the same ports right away.
    for pid in "${stopped[@]}"; do
        for _ in $(seq 30); do is_our_server "$pid" || break; sleep 0.1; done
        ! is_our_server "$pid" || log "server pid $pid still running 3 s after SIGTERM"
    done
}

is_our_server() {  # a live (non-zombie) process running one of our server scripts
    local state
    state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ $state != Z ]] && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q "$HERE/servers/"
}

cmd_exec() {
    require_root
    local host=${1:-}; shift || true
    [[ -n $host && $# -gt 0 ]] || die "usage: testbed.sh exec HOST CMD..."
    ns_exists "$host" || die "no namespace $(ns "$host") (hosts: hue wemo udoo cam cloud attacker app lan wan)"
    exec ip netns exec "$(ns "$host")" "$@"
}

cmd_new_prefix() {
    local p
    for _ in $(seq 20); do
        p=ke$(random_hex 3)
        ip netns list 2>/dev/null | awk '{ print $1 }' | grep -q "^$p-" || { echo "$p"; return 0; }
    done
    die "could not find an unused prefix in 20 tries"
}

cmd_list() {
    ip netns list 2>/dev/null | awk '{ print $1 }' | sed -n 's/^\([a-z][a-z0-9]*\)-\(app\|lan\|wan\)$/\1/p' | sort -u
}

# ---- argument parsing ----------------------------------------------------------------------------

main() {
    local args=()
    while (($#)); do
        case $1 in
        --prefix) PREFIX=${2:?--prefix needs a value}; shift 2 ;;
        --prefix=*) PREFIX=${1#*=}; shift ;;
        --json) JSON=1; shift ;;
        --replace) REPLACE=1; shift ;;
        --max-seconds) SERVER_SECONDS=${2:?--max-seconds needs a value}; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *)
            args+=("$1"); shift
            # exec: everything after the host is the command, including its own --options.
            if [[ ${args[0]} == exec && ${#args[@]} -eq 2 ]]; then args+=("$@"); break; fi
            ;;
        esac
    done
    # Prefix is used unquoted in namespace names and awk patterns: keep it to a safe alphabet, no '-'
    # (so that 'ke' never matches another run's 'ke1-...' or 'ke-x-...').
    [[ $PREFIX =~ ^[a-z][a-z0-9]{0,11}$ ]] || die "prefix '$PREFIX' must match [a-z][a-z0-9]{0,11}"
    [[ $SERVER_SECONDS =~ ^[0-9]+$ ]] || die "--max-seconds must be an integer, got '$SERVER_SECONDS'"
    ((${#args[@]})) || { usage >&2; exit 2; }
    local cmd=${args[0]}
    case $cmd in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    start-servers) cmd_start_servers ;;
    stop-servers) cmd_stop_servers ;;
    bridge-baseline) cmd_bridge_baseline "${args[1]:-}" ;;
    exec) cmd_exec "${args[@]:1}" ;;
    new-prefix) cmd_new_prefix ;;
    list) cmd_list ;;
    *) usage >&2; die "unknown command '$cmd'" ;;
    esac
}

main "$@"
