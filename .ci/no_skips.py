"""Fail CI when a test skipped that must run on this machine.

Usage: no_skips.py REPORT.xml PREFIX...  (PREFIX like `tests.nix`). Reads pytest's JUnit XML
report and prints each skipped test under one of the prefixes with its reason; exits 1 if any.
A skip there means a part CI installs (nixpkgs' lib, QEMU) went unused: a failure in disguise.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET


def main(report: str, prefixes: list[str]) -> int:
    bad = []
    for case in ET.parse(report).getroot().iter("testcase"):  # noqa: S314 (our own report)
        skipped = case.find("skipped")
        if skipped is None:
            continue
        test_id = ".".join(part for part in (case.get("classname"), case.get("name")) if part)
        if any(test_id == p or test_id.startswith(p + ".") for p in prefixes):
            reason = (skipped.text or skipped.get("message") or "").strip()
            bad.append(f"SKIPPED (not allowed in CI): {test_id}: {reason}")
    for line in bad:
        print(line, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
