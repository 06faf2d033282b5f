"""Argument bounds, deadlines, JSON results and errors shared by every testbed tool.

Every loop in the testbed must end by itself, so every tool takes a count and a duration, and both
are clamped to hard ceilings here: a typo in a test (an extra zero) cannot turn into an endless flood.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from typing import Any, NoReturn

# Ceilings no tool may exceed, whatever it is asked. Servers live longer than traffic tools because a
# test suite starts them once and runs many scenarios against them.
MAX_TOOL_SECONDS = 600.0
MAX_SERVER_SECONDS = 4 * 3600.0
MAX_COUNT = 10_000_000


def tool_name() -> str:
    return os.path.basename(sys.argv[0])


def fail(what: str, why: str, code: int = 2) -> NoReturn:
    """Print one clear error line (tool: what: why) and exit; tests show stderr on failure."""
    print(f"{tool_name()}: {what}: {why}", file=sys.stderr)
    sys.exit(code)


def emit(result: dict[str, Any]) -> None:
    """Print one JSON object on one line: the machine-readable result tests parse."""
    print(json.dumps(result, sort_keys=True), flush=True)


def _clamped(kind: str, ceiling: float, integer: bool):
    def parse(text: str):
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{kind} must be a number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{kind} must be > 0, got {text}")
        if value > ceiling:
            raise argparse.ArgumentTypeError(f"{kind} {text} exceeds the testbed ceiling {ceiling:g}")
        return value
    return parse


positive_count = _clamped("count", MAX_COUNT, integer=True)
tool_seconds = _clamped("duration", MAX_TOOL_SECONDS, integer=False)
server_seconds = _clamped("lifetime", MAX_SERVER_SECONDS, integer=False)
positive_float = _clamped("value", 1e9, integer=False)


def parser(description: str, *, count: int | None = None, duration: float = 10.0) -> argparse.ArgumentParser:
    """An ArgumentParser that already has the bounds every traffic tool needs."""
    p = argparse.ArgumentParser(description=description)
    add_bounds(p, count=count, duration=duration)
    return p


def add_bounds(p: argparse.ArgumentParser, *, count: int | None = None, duration: float = 10.0) -> None:
    """Add --count (unless count is None: loops bounded by time only, e.g. receivers) and --duration."""
    if count is not None:
        p.add_argument("--count", type=positive_count, default=count,
                       help=f"stop after this many attempts/frames (default {count}, ceiling {MAX_COUNT})")
    p.add_argument("--duration", type=tool_seconds, default=duration,
                   help=f"stop after this many seconds (default {duration:g}, ceiling {MAX_TOOL_SECONDS:g})")


class Deadline:
    """A monotonic deadline; also turns SIGTERM/SIGINT into a polite stop so results still get printed."""

    def __init__(self, seconds: float):
        self.start = time.monotonic()
        self.end = self.start + seconds
        self.stopped = False
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._stop)

    def _stop(self, *_: object) -> None:
        self.stopped = True

    def expired(self) -> bool:
        return self.stopped or time.monotonic() >= self.end

    def remaining(self) -> float:
        return 0.0 if self.stopped else max(0.0, self.end - time.monotonic())

    def elapsed(self) -> float:
        return time.monotonic() - self.start


class Pacer:
    """Spreads sends at a fixed rate (per second). rate=None means as fast as possible."""

    def __init__(self, rate: float | None):
        self.interval = 1.0 / rate if rate else 0.0
        self.next = time.perf_counter()

    def wait(self) -> None:
        if not self.interval:
            return
        self.next += self.interval
        delay = self.next - time.perf_counter()
        if delay > 0.0005:
            time.sleep(delay)
        # Busy-wait only the last fraction of a millisecond: sleep() granularity would cap the rate.
        while time.perf_counter() < self.next:
            pass
