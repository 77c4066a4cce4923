"""Where benchmarks keep their throwaway stores."""

from __future__ import annotations

from pathlib import Path


def scratch() -> Path:
    """Return ``var/bench``: on the same filesystem as the default data folder (``var/data``).

    Not the system's temporary folder, whose file creation can be several times slower on a
    shared machine and would measure the machine rather than the server.
    """
    folder = Path("var") / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
