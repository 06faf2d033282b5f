#!/usr/bin/env python3
"""Throughput and latency of whatever currently forwards between the appliance's ports.

  bench.py --prefix P --baseline            kernel bridge reference (turned on for the run, then off)
  bench.py --prefix P --label kalkiedge     the path as it is (e.g. KalkiEdge running in P-app)
  bench.py --prefix P --label x --compare baseline.json   also print ratios against a baseline run

Traffic: blast.py frames from a device host to a cloud host (64 B and 1400 B, flat out or at --rate, counted
at the receiver's interface) and latency.py UDP ping-pong across the same path. One JSON document on
stdout; progress on stderr. Run as root on a testbed that is up (`testbed.sh up`).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from tblib import bounds  # noqa: E402

REFLECTOR_PORT = 7007


class Testbed:
    def __init__(self, prefix: str):
        self.prefix = prefix
        status = self.script("status", "--json")
        self.topology = json.loads(status)
        if not self.topology.get("up"):
            bounds.fail(f"testbed '{prefix}'", "is not up (run: testbed.sh --prefix P up)")
        self.hosts = {h["name"]: h for h in self.topology["hosts"]}

    def script(self, *args: str) -> str:
        run = subprocess.run([str(HERE / "testbed.sh"), "--prefix", self.prefix, *args],
                             capture_output=True, text=True, check=False)
        if run.returncode != 0:
            bounds.fail(f"testbed.sh {' '.join(args)}", run.stderr.strip() or f"exit {run.returncode}")
        return run.stdout

    def command(self, host: str, tool: str, *args: str) -> list[str]:
        return ["ip", "netns", "exec", f"{self.prefix}-{host}", sys.executable, str(HERE / tool), *args]

    def run_json(self, host: str, tool: str, *args: str, timeout: float) -> dict:
        run = subprocess.run(self.command(host, tool, *args), capture_output=True, text=True,
                             timeout=timeout, check=False)
        return self.parse(run.stdout, run.stderr, tool, host)

    @staticmethod
    def parse(stdout: str, stderr: str, tool: str, host: str) -> dict:
        try:
            return json.loads(stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            bounds.fail(f"{tool} in {host}", stderr.strip() or "printed no JSON result")


def throughput(tb: Testbed, src: str, dst: str, size: int, seconds: float, pacing: list[str]) -> dict:
    receiver = subprocess.Popen(tb.command(dst, "traffic/blast.py", "recv", "--duration", str(seconds + 5)),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # The receiver holds its base counters once it says so; on a loaded machine its start can take longer than the
    # sender's, and frames sent before would go uncounted.
    ready = receiver.stderr.readline()
    if ready.strip() != "counting":
        receiver.kill()
        bounds.fail(f"blast.py recv in {dst}", ready.strip() + receiver.stderr.read().strip() or "exited before counting")
    sent = tb.run_json(src, "traffic/blast.py", "send", "--target", tb.hosts[dst]["ip"], "--frame-size",
                       str(size), "--duration", str(seconds), *pacing, timeout=seconds + 10)
    out, err = receiver.communicate(timeout=seconds + 10)
    received = Testbed.parse(out, err, "blast.py recv", dst)
    return {"offeredFps": sent["framesPerSecond"], "sent": sent["sent"], "sendSeconds": sent["seconds"], "late": sent.get("late", 0),
            "longestSenderGapMs": sent.get("longestGapMs"), "received": received["frames"],
            "fps": received["framesPerSecond"], "udpChecksumErrors": received["udpChecksumErrors"],
            "lossPercent": round(100.0 * max(0, sent["sent"] - received["frames"]) / max(1, sent["sent"]), 2)}


def latency(tb: Testbed, src: str, dst: str, count: int) -> dict:
    reflector = subprocess.Popen(tb.command(dst, "traffic/latency.py", "serve", "--port", str(REFLECTOR_PORT),
                                            "--duration", "120"),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)
        return tb.run_json(src, "traffic/latency.py", "probe", "--target", tb.hosts[dst]["ip"], "--port",
                           str(REFLECTOR_PORT), "--count", str(count), "--duration", "120", timeout=130)
    finally:
        reflector.terminate()  # our own child, by its handle
        reflector.wait(timeout=5)


def check_path(tb: Testbed, src: str, dst: str) -> None:
    probe = tb.run_json(src, "traffic/probe.py", "ping", tb.hosts[dst]["ip"], "--count", "3", timeout=15)
    if not probe["ok"]:
        bounds.fail(f"path {src} -> {dst}", "no ping reply: nothing forwards between dev0 and up0 "
                    "(start the appliance, or pass --baseline)")


def measure(tb: Testbed, args: argparse.Namespace) -> dict:
    check_path(tb, args.src, args.dst)
    result = {"label": args.label, "prefix": tb.prefix, "path": f"{args.src} -> {args.dst}",
              "seconds": args.duration, "repeat": args.repeat, "throughput": {}}
    for size in args.sizes:
        runs = []
        for i in range(args.repeat):
            print(f"bench: {args.label}: {size} B run {i + 1}/{args.repeat}", file=sys.stderr)
            runs.append(throughput(tb, args.src, args.dst, size, args.duration, pacing(args)))
        result["throughput"][str(size)] = {"fps": round(statistics.median(r["fps"] for r in runs)), "runs": runs}
    print(f"bench: {args.label}: latency, {args.latency_count} probes", file=sys.stderr)
    result["latency"] = latency(tb, args.src, args.dst, args.latency_count)
    return result


def pacing(args: argparse.Namespace) -> list[str]:
    """blast.py send's options for the offered rate, its catch-up bound and its scheduling."""
    return [*(["--rate", str(args.rate)] if args.rate else []),
            *(["--catch-up-ms", str(args.catch_up_ms)] if args.catch_up_ms else []),
            *(["--rt-priority", str(args.sender_rt_priority)] if args.sender_rt_priority else [])]


def compare(run: dict, base: dict) -> dict:
    ratios = {size: round(run["throughput"][size]["fps"] / base["throughput"][size]["fps"], 3)
              for size in run["throughput"] if size in base["throughput"] and base["throughput"][size]["fps"]}
    added = {q: run["latency"][f"{q}Micros"] - base["latency"][f"{q}Micros"] for q in ("p50", "p99")}
    return {"baseline": base["label"], "fpsRatio": ratios, "addedLatencyMicros": added}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--prefix", default="ke")
    p.add_argument("--baseline", action="store_true", help="measure the kernel bridge (on for the run, then off)")
    p.add_argument("--label", help="name of this measurement (default: kernel-bridge or as-is)")
    p.add_argument("--src", default="hue", help="sending host (default hue, device side)")
    p.add_argument("--dst", default="cloud", help="receiving host (default cloud, uplink side)")
    p.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[64, 1400])
    p.add_argument("--duration", type=bounds.tool_seconds, default=5.0, help="seconds per throughput run")
    p.add_argument("--rate", type=bounds.positive_float, help="offered frames/s (default: flat out)")
    p.add_argument("--catch-up-ms", type=bounds.positive_float,
                   help="with --rate: the sender's longest burst after a delay; older frames are skipped (default: all sent)")
    p.add_argument("--sender-rt-priority", type=int, default=0, choices=range(0, 99),
                   help="SCHED_FIFO priority of the frame sender (0 = normal scheduling)")
    p.add_argument("--repeat", type=int, default=3, help="throughput runs per size; the median is reported")
    p.add_argument("--latency-count", type=bounds.positive_count, default=5000)
    p.add_argument("--compare", type=Path, help="a previous bench.py JSON to compute ratios against")
    args = p.parse_args()
    args.label = args.label or ("kernel-bridge" if args.baseline else "as-is")

    tb = Testbed(args.prefix)
    was_on = tb.topology.get("baselineBridge")
    if args.baseline:
        tb.script("bridge-baseline", "on")
    try:
        result = measure(tb, args)
    finally:
        if args.baseline and not was_on:
            tb.script("bridge-baseline", "off")
    if args.compare:
        result["comparison"] = compare(result, json.loads(args.compare.read_text()))
    print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
