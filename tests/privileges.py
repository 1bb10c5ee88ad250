"""Running a command without root's power to ignore file permissions.

CI runs as root, and root writes into read-only directories, so a check that a directory is
not writable could never fail there. Dropping CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the
child (setpriv, from util-linux) leaves it root by name but bound by the permission bits, so
those checks run for real in CI too.
"""

from __future__ import annotations

import os
import shutil

import pytest

_FILE_POWERS = "-dac_override,-dac_read_search"


def without_root_powers(argv: list[str]) -> list[str]:
    """`argv`, wrapped so that file permissions apply to it even when the suite runs as root."""
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip(
            "running as root without setpriv (util-linux): cannot drop the power to "
            "ignore file permissions, so the check cannot fail"
        )
    return [setpriv, f"--inh-caps={_FILE_POWERS}", f"--bounding-set={_FILE_POWERS}", "--", *argv]
