"""`make bench`: every benchmark at a size that finishes in minutes on the project's 2-core
machine. The sizes used for docs/benchmarks.md are written there; pass larger ones to each module
(`python -m bench.<name> --help`)."""

from __future__ import annotations

import subprocess
import sys

RUNS = (
    ("ledger", ["--n", "2000"]),
    ("transfers", ["--documents", "200"]),
    ("telemetry", ["1000", "--sample", "20"]),
    ("control", ["--entries", "2000000", "--sites", "1000"]),
)


def main() -> int:
    failed = []
    for name, args in RUNS:
        print(f"\n=== python -m bench.{name} {' '.join(args)}", flush=True)
        if subprocess.call([sys.executable, "-m", f"bench.{name}", *args]) != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
