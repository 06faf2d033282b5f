#!/usr/bin/env python3
"""Sums test results (TRX files from dotnet test, JUnit XML from ctest) into 'N passed, N failed[, N skipped]'.

Each failed test is named first, with the first line of its message, so that a CI log's tail says what failed.
Exit status 1 when any test failed or no result file was found."""
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

def first_line(text):
    text = (text or "").strip()
    return text.splitlines()[0][:300] if text else ""

def trx_failures(path):
    root = ET.parse(path).getroot()
    for r in root.iter():
        if r.tag.endswith("UnitTestResult") and r.get("outcome") in ("Failed", "Error", "Timeout", "Aborted"):
            message = next((m.text for m in r.iter() if m.tag.endswith("Message")), "")
            yield r.get("testName", "?"), first_line(message)

def junit_failures(path):
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
        if bad is not None:
            yield case.get("classname", "") + "." + case.get("name", "?"), first_line(bad.get("message") or bad.text)

def trx_counts(path):
    root = ET.parse(path).getroot()
    c = next((e for e in root.iter() if e.tag.endswith("Counters")), None)
    if c is None:
        return 0, 0, 0
    passed = int(c.get("passed", 0))
    failed = int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
    skipped = int(c.get("notExecuted", 0)) + int(c.get("inconclusive", 0))
    return passed, failed, skipped

def junit_counts(path):
    root = ET.parse(path).getroot()
    passed = failed = skipped = 0
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped

def main():
    results = Path(sys.argv[1] if len(sys.argv) > 1 else "out/test-results")
    totals = [0, 0, 0]
    files = sorted(results.rglob("*.trx")) + sorted(results.rglob("*.junit.xml"))
    for f in files:
        counts = trx_counts(f) if f.suffix == ".trx" else junit_counts(f)
        totals = [a + b for a, b in zip(totals, counts)]
        for name, message in (trx_failures(f) if f.suffix == ".trx" else junit_failures(f)):
            print(f"FAILED {name}: {message}" if message else f"FAILED {name}")
    passed, failed, skipped = totals
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 1 if failed or not files else 0

if __name__ == "__main__":
    sys.exit(main())
