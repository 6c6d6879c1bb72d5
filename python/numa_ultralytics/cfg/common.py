"""What every ``numa-yolo`` subcommand module shares (cfg/__init__.py, val.py, solutions.py, trackeval.py): the
command-line error and the joining of ``key = value`` words. A leaf of ``cfg``: the subcommands import it, never
``cfg/__init__.py``, so the package has no import cycle."""

from __future__ import annotations


class CLIError(ValueError):
    """A bad command line: ``key`` is the argument at fault (or None)."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


def _merge_equals(argv: list[str]) -> list[str]:
    """Join ``key = value`` / ``key= value`` / ``key =value`` into ``key=value`` (as Ultralytics does)."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "=" and out and i + 1 < len(argv):
            out[-1] += "=" + argv[i + 1]
            i += 2
            continue
        if a.endswith("=") and a.count("=") == 1 and i + 1 < len(argv) and "=" not in argv[i + 1]:
            out.append(a + argv[i + 1])
            i += 2
            continue
        if a.startswith("=") and out and "=" not in out[-1]:
            out[-1] += a
            i += 1
            continue
        out.append(a)
        i += 1
    return out
