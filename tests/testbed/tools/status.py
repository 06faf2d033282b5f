#!/usr/bin/env python3
"""Machine-readable testbed description for tests (`testbed.sh status --json`).

`write-topology` (called by `testbed.sh up`) stores the planned topology; `show` merges it with what
is live right now (namespaces, interface MACs/IPs/state as the kernel reports them, baseline bridge,
servers and their credentials), so a test reads facts, not intentions.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

SUBNET = "192.0.2.0/24"
BASELINE_BRIDGE = "kbr0"


def write_topology(args: argparse.Namespace) -> None:
    hosts = []
    for line in sys.stdin:
        cols = line.split()
        if not cols:
            continue
        name, side, mac, ip, _index = cols
        hosts.append({"name": name, "role": "device" if side == "lan" else name, "side": side,
                      "namespace": f"{args.prefix}-{name}", "iface": "eth0", "mac": mac, "ip": ip,
                      "cidr": f"{ip}/24"})
    topology = {
        "prefix": args.prefix,
        "subnet": SUBNET,
        "namespaces": {k: f"{args.prefix}-{k}" for k in ["lan", "app", "wan"] + [h["name"] for h in hosts]},
        "appliance": {"namespace": f"{args.prefix}-app",
                      "devicePort": {"name": "dev0", "mac": args.app_dev_mac, "peer": f"{args.prefix}-lan/app"},
                      "uplinkPort": {"name": "up0", "mac": args.app_up_mac, "peer": f"{args.prefix}-wan/app"},
                      "baselineBridge": BASELINE_BRIDGE},
        "bridges": {"lan": {"namespace": f"{args.prefix}-lan", "name": "br0"},
                    "wan": {"namespace": f"{args.prefix}-wan", "name": "br0"}},
        "hosts": hosts,
    }
    os.makedirs(args.state, exist_ok=True)
    Path(args.state, "topology.json").write_text(json.dumps(topology, indent=2) + "\n")


def live_namespaces(prefix: str) -> list[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False).stdout
    return sorted(line.split()[0] for line in out.splitlines() if line.startswith(f"{prefix}-"))


def live_interfaces(namespace: str) -> list[dict]:
    run = subprocess.run(["ip", "-j", "-n", namespace, "addr", "show"], capture_output=True, text=True,
                         check=False)
    if run.returncode != 0:
        return []
    return [{"name": i["ifname"], "mac": i.get("address"), "state": i.get("operstate"),
             "master": i.get("master"), "mtu": i.get("mtu"),
             "ipv4": [f"{a['local']}/{a['prefixlen']}" for a in i.get("addr_info", []) if a.get("family") == "inet"]}
            for i in json.loads(run.stdout or "[]") if i["ifname"] != "lo"]


def read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def servers(state: Path) -> dict:
    found = {}
    for meta_path in sorted((state / "pids").glob("*.json")):
        meta = read_json(meta_path)
        if not meta:
            continue
        pid_text = Path(meta["pidfile"]).read_text().strip() if Path(meta["pidfile"]).exists() else ""
        meta["pid"] = int(pid_text) if pid_text.isdigit() else None
        meta["running"] = bool(meta["pid"]) and Path(f"/proc/{meta['pid']}").exists()
        found[meta["name"]] = meta
    return found


def show(args: argparse.Namespace) -> None:
    state = Path(args.state)
    namespaces = live_namespaces(args.prefix)
    topology = read_json(state / "topology.json") or {}
    live = {n: live_interfaces(n) for n in namespaces}
    app = f"{args.prefix}-app"
    result = {
        **topology,
        "prefix": args.prefix,
        "up": bool(namespaces) and bool(topology),
        "stateDir": str(state),
        "live": live,
        "baselineBridge": any(i["name"] == BASELINE_BRIDGE for i in live.get(app, [])),
        "servers": servers(state),
        "credentials": read_json(state / "credentials.json"),
    }
    print(json.dumps(result, indent=2, sort_keys=True))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write-topology")
    s = sub.add_parser("show")
    for q in (w, s):
        q.add_argument("--prefix", required=True)
        q.add_argument("--state", required=True)
    w.add_argument("--app-dev-mac", required=True)
    w.add_argument("--app-up-mac", required=True)
    args = p.parse_args()
    write_topology(args) if args.command == "write-topology" else show(args)


if __name__ == "__main__":
    main()
