"""What every benchmark shares: the result line format and machine facts.

Each benchmark prints its own figures and then, per target, one line

    RESULT | <name> | <measured> | <target> | PASS or FAIL

which ``bench/run_all.py`` collects into one table; a figure printed for
reference, with no target of its own, says INFO instead. Benchmarks measure;
tests never assert times.
"""

from __future__ import annotations

import os
import platform
import sys


def result(name: str, measured: str, target: str, passed: bool) -> bool:
    """Print one result line and return whether it passed."""
    print(f"RESULT | {name} | {measured} | {target} | {'PASS' if passed else 'FAIL'}", flush=True)
    return passed


def info(name: str, measured: str, note: str) -> None:
    """Print one figure that has no target (shown in the table, never a failure)."""
    print(f"RESULT | {name} | {measured} | {note} | INFO", flush=True)


def machine() -> str:
    """A one-line description of the machine the figures came from."""
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"{platform.system()} {platform.release()}"
    )
