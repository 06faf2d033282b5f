#!/usr/bin/env bash
# Self-check of the testbed itself (not of KalkiEdge): builds a fresh testbed under a unique prefix,
# proves that with a kernel bridge between the appliance ports everything a live test needs works in
# both directions, that a user-space relay (what KalkiEdge is) also carries TCP/HTTP intact, that with
# nothing forwarding not one frame crosses (fail closed), and that `down` leaves nothing behind.
#
# Usage: selftest.sh [--prefix P] [--keep]      (--keep: leave the testbed up for inspection)
# Prints one line per check and "N passed, M failed"; exit status 0 only if all passed. Needs root.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=${PYTHON:-python3}
PREFIX=""
KEEP=0
PASSED=0
FAILED=0

while (($#)); do
    case $1 in
    --prefix) PREFIX=${2:?--prefix needs a value}; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "usage: selftest.sh [--prefix P] [--keep]" >&2; exit 2 ;;
    esac
done
[[ $EUID -eq 0 ]] || { echo "selftest.sh: SKIP: needs root (network namespaces)" >&2; exit 77; }
ip netns list >/dev/null 2>&1 || { echo "selftest.sh: SKIP: no 'ip netns' support" >&2; exit 77; }
PREFIX=${PREFIX:-$("$HERE/testbed.sh" new-prefix)}

tb() { "$HERE/testbed.sh" --prefix "$PREFIX" "$@"; }
# run_in HOST TOOL ARGS...: a testbed python tool inside a host namespace, JSON result on stdout
run_in() { local host=$1 tool=$2; shift 2; tb exec "$host" "$PY" "$HERE/$tool" "$@"; }
json_get() { "$PY" -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[k]
print(d)' "$1"; }
counter() { tb exec "$1" cat "/sys/class/net/$2/statistics/$3"; }

# check NAME CMD...: run CMD, record PASS/FAIL with its output on failure (what, where, why).
check() {
    local name=$1 out; shift
    if out=$("$@" 2>&1); then
        PASSED=$((PASSED + 1)); echo "PASS  $name"
    else
        FAILED=$((FAILED + 1)); echo "FAIL  $name"; echo "${out//$'\n'/$'\n'      }" | sed '1s/^/      /'
    fi
}

# expect_json NAME PYEXPR HOST TOOL ARGS...: run a tool and assert a Python expression over its result r.
expect_json() {
    local name=$1 expr=$2; shift 2
    check "$name" _expect_json "$expr" "$@"
}
_expect_json() {
    local expr=$1 out; shift
    out=$(run_in "$@") || true
    _json_holds "$expr" "$out"
}
# _json_holds PYEXPR OUTPUT: true if PYEXPR holds over the last line of OUTPUT as JSON (r).
_json_holds() {
    "$PY" -c 'import json,sys
r = json.loads(sys.argv[2].strip().splitlines()[-1]) if sys.argv[2].strip() else {}
ok = eval(sys.argv[1], {}, {"r": r})
if not ok: print("expected", sys.argv[1], "got", json.dumps(r)); sys.exit(1)' "$1" "$2"
}

# alive_none PID...: true if none of the pids is a live process (an exited one may linger as a
# zombie until init reaps it; it no longer holds sockets or a namespace, so it counts as gone).
alive_none() {
    local p state
    for p in "$@"; do
        state=$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null || true)
        [[ -z $state || $state == Z ]] || { echo "pid $p still running ($(tr '\0' ' ' <"/proc/$p/cmdline"))"; return 1; }
    done
}

cleanup() {
    local rc=$?
    if ((KEEP)); then echo "kept testbed '$PREFIX' (remove: testbed.sh --prefix $PREFIX down)"; return; fi
    tb down >/dev/null 2>&1 || true
    exit "$rc"
}
trap cleanup EXIT

echo "selftest: prefix $PREFIX"
check "up" tb up
check "start-servers" tb start-servers
STATUS=$(tb status --json)
check "status --json lists 6 hosts and credentials" "$PY" -c 'import json,sys; d=json.loads(sys.argv[1])
assert d["up"] and len(d["hosts"]) == 6, "hosts"; assert all(s["running"] for s in d["servers"].values()), "servers"
assert d["credentials"]["hue"]["token"] and d["credentials"]["cam"]["password"] != "admin", "credentials"' "$STATUS"
HUE_TOKEN=$(json_get credentials.hue.token <<<"$STATUS")
CAM_PASSWORD=$(json_get credentials.cam.password <<<"$STATUS")
SSH_PASSWORD=$(json_get credentials.udoo.password <<<"$STATUS")
# Addresses come from the testbed's own description, as a C# live test would read them.
host_ip() { "$PY" -c 'import json,sys; print({h["name"]: h["ip"] for h in json.loads(sys.argv[1])["hosts"]}[sys.argv[2]])' "$STATUS" "$1"; }
HUE=$(host_ip hue) WEMO=$(host_ip wemo) UDOO=$(host_ip udoo) CAM=$(host_ip cam) CLOUD=$(host_ip cloud)

# The IoT LAN is one switch: devices reach each other without the appliance.
expect_json "lan: hue -> wemo ping (no appliance needed)" 'r["ok"]' hue traffic/probe.py ping "$WEMO"

# ---- kernel bridge ON: everything crosses, both ways ----------------------------------------------
check "bridge-baseline on" tb bridge-baseline on
for dev in hue wemo udoo cam; do
    ip=$(host_ip "$dev")
    expect_json "baseline: $dev -> cloud ping" 'r["ok"]' "$dev" traffic/probe.py ping "$CLOUD"
    expect_json "baseline: cloud -> $dev ping" 'r["ok"]' cloud traffic/probe.py ping "$ip"
done
expect_json "baseline: hue -> cloud TCP echo" 'r["ok"] and r["echoed"] == "kalki"' hue traffic/probe.py tcp "$CLOUD" 7 --send kalki
expect_json "baseline: cam -> cloud HTTP (sees device IP)" 'r["status"] == 200 and "192.0.2.13" in r["body"]' \
    cam traffic/probe.py http "http://$CLOUD/telemetry" --method POST --data '{"t":1}'
expect_json "baseline: cloud -> hue HTTP lights (token)" 'r["status"] == 200 and "Hue light 1" in r["body"]' \
    cloud traffic/probe.py http "http://$HUE/api/$HUE_TOKEN/lights"
expect_json "baseline: hue unknown token -> type 1 error" '"unauthorized user" in r["body"]' \
    attacker traffic/probe.py http "http://$HUE/api/nottheuser/lights"
expect_json "baseline: cloud -> hue PUT state" 'r["status"] == 200 and "success" in r["body"]' \
    cloud traffic/probe.py http "http://$HUE/api/$HUE_TOKEN/lights/1/state" --method PUT --data '{"on": true}'
expect_json "baseline: cloud -> wemo SetBinaryState on" 'r["succeeded"] == 1 and r["binaryState"] == 1' \
    cloud traffic/wemo_control.py --target "$WEMO" --action on
expect_json "baseline: cloud -> wemo GetBinaryState" 'r["binaryState"] == 1' cloud traffic/wemo_control.py --target "$WEMO"
expect_json "baseline: cloud -> udoo SSH banner" 'r["banner"].startswith("SSH-2.0-")' \
    cloud traffic/probe.py tcp "$UDOO" 22 --read-banner
expect_json "baseline: udoo SSH right password accepted" 'r["accepted"] == 1' \
    cloud traffic/ssh_bruteforce.py --target "$UDOO" --user udooer --passwords "$SSH_PASSWORD" --count 1
expect_json "baseline: udoo SSH brute force denied" 'r["outcomes"] == {"denied": 5}' \
    attacker traffic/ssh_bruteforce.py --target "$UDOO" --user udooer --count 5
expect_json "baseline: cam digest right password -> 200" 'r["succeeded"] == 2' \
    cloud traffic/http_login.py --url "http://$CAM/image.jpg" --user admin --password "$CAM_PASSWORD" --count 2
expect_json "baseline: cam default admin:admin -> 401" 'r["outcomes"] == {"401": 3}' \
    attacker traffic/http_login.py --url "http://$CAM/image.jpg" --user admin --password admin --count 3
expect_json "baseline: hue brute force with hit at 5" 'r["authorized"] == 1 and r["guesses"] == 10' \
    attacker traffic/hue_bruteforce.py --target "$HUE" --count 10 --token "$HUE_TOKEN" --hit 5
expect_json "baseline: port scan finds wemo 49153" 'r["open"] == [49153]' \
    attacker traffic/tcp_connect_scan.py --target "$WEMO" --ports 49140-49160
expect_json "baseline: latency probe hue -> cloud echo" 'r["lost"] == 0 and r["p50Micros"] > 0' \
    hue traffic/latency.py probe --target "$CLOUD" --count 200
# paced_stalled CATCHUP-ARGS...: blast.py paced at 20 kfps for 2.5 s, held off the CPU (SIGSTOP) for 0.3 s once it
# sends; prints its JSON result. `ip netns exec` and a pyenv shim (a script named python3) exec in turn, so $!
# becomes the sender itself once its executable is python's.
paced_stalled() {
    local out pid
    out=$(mktemp)
    ip netns exec "$PREFIX-hue" "$PY" "$HERE/traffic/blast.py" send --target "$CLOUD" --rate 20000 --duration 2.5 "$@" >"$out" &
    pid=$!
    for _ in $(seq 100); do [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == *python* ]] && break; sleep 0.05; done
    sleep 0.5 && kill -STOP "$pid" && sleep 0.3 && kill -CONT "$pid"
    wait "$pid"
    cat "$out"
    rm -f "$out"
}
expect_paced() {
    local name=$1 expr=$2; shift 2
    check "$name" _json_holds "$expr" "$(paced_stalled "$@")"
}
expect_paced "paced sender catches up after a stall (all frames sent, none skipped)" \
    'r["late"] == 0 and r["sent"] >= 45000 and r["longestGapMs"] >= 250'
expect_paced "paced sender with --catch-up-ms 5 skips what a stall made late" \
    'r["late"] >= 4000 and r["sent"] + r["late"] >= 45000 and r["longestGapMs"] >= 250' --catch-up-ms 5
check "camera log recorded the admin:admin denials" \
    grep -q '"auth": "denied", .*"user": "admin"' "/run/kalki-testbed/$PREFIX/logs/camera.log"
check "bridge-baseline off" tb bridge-baseline off

# ---- user-space relay: re-injected frames keep valid checksums (offload off on hosts) -------------
# Started with a plain `ip netns exec` (not through a shell function) so $! is the relay itself.
ip netns exec "$PREFIX-app" "$PY" "$HERE/tools/l2relay.py" --duration 20 >/dev/null &
RELAY=$!
expect_json "relay: hue -> cloud TCP echo" 'r["ok"]' hue traffic/probe.py tcp "$CLOUD" 7 --send relayed --timeout 3
expect_json "relay: cloud -> hue HTTP lights" 'r["status"] == 200' cloud traffic/probe.py http "http://$HUE/api/$HUE_TOKEN/lights"
expect_json "relay: cam -> cloud 50 kB POST" 'r["status"] == 200 and "50000" in r["body"]' \
    cam traffic/probe.py http "http://$CLOUD/upload" --method POST --data "$(head -c 50000 /dev/zero | tr '\0' x)"
kill "$RELAY" 2>/dev/null || true   # our own background job, by pid
wait "$RELAY" 2>/dev/null || true

# ---- nothing forwarding: fail closed ---------------------------------------------------------------
DEV_TX=$(counter app dev0 tx_packets) UP_TX=$(counter app up0 tx_packets) DEV_RX=$(counter app dev0 rx_packets)
expect_json "closed: hue -> cloud ping blocked" 'not r["ok"]' hue traffic/probe.py ping "$CLOUD" --count 2 --timeout 0.5
expect_json "closed: cloud -> hue ping blocked" 'not r["ok"]' cloud traffic/probe.py ping "$HUE" --count 2 --timeout 0.5
expect_json "closed: hue -> cloud TCP blocked" 'not r["ok"]' hue traffic/probe.py tcp "$CLOUD" 7 --timeout 1
expect_json "closed: cloud -> hue HTTP blocked" 'not r["ok"]' cloud traffic/probe.py http "http://$HUE/" --timeout 1
expect_json "closed: attacker -> udoo SSH blocked" 'not r["ok"]' attacker traffic/probe.py tcp "$UDOO" 22 --timeout 1
check "closed: frames reached dev0 but not one left via up0 or dev0" "$PY" -c 'import sys
dev_tx0, up_tx0, dev_rx0, dev_tx1, up_tx1, dev_rx1 = map(int, sys.argv[1:])
assert dev_rx1 > dev_rx0, f"no frames arrived at dev0 ({dev_rx0} -> {dev_rx1}): the probes did not run"
assert up_tx1 == up_tx0 and dev_tx1 == dev_tx0, f"frames left the appliance: up0 tx {up_tx0}->{up_tx1}, dev0 tx {dev_tx0}->{dev_tx1}"' \
    "$DEV_TX" "$UP_TX" "$DEV_RX" "$(counter app dev0 tx_packets)" "$(counter app up0 tx_packets)" "$(counter app dev0 rx_packets)"

# ---- tools refuse unbounded requests ---------------------------------------------------------------
check "bounds: --duration above the ceiling is refused" bash -c \
    "! '$PY' '$HERE/traffic/mac_flood.py' --duration 100000 --count 1 2>/dev/null"
check "bounds: --count above the ceiling is refused" bash -c \
    "! '$PY' '$HERE/traffic/syn_flood.py' --target 192.0.2.1 --count 999999999999 2>/dev/null"

# ---- teardown leaves nothing -----------------------------------------------------------------------
if ((!KEEP)); then
    mapfile -t SERVER_PIDS < <(cat "/run/kalki-testbed/$PREFIX"/pids/*.pid 2>/dev/null)
    check "down" tb down
    check "down: no namespace named $PREFIX-* remains" bash -c "! ip netns list | grep -q '^$PREFIX-'"
    check "down: state dir removed" test ! -e "/run/kalki-testbed/$PREFIX"
    check "down: server processes gone" alive_none "${SERVER_PIDS[@]}"
    check "down again is a no-op" tb down
fi

echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
