"""How convmem's store scales: ingest, disk and retrieval latency at growing memory sizes.

Same as ``convmem bench scale`` (see ``docs/evaluation.md``); kept beside the other
benchmark scripts so ``python scripts/bench_scale.py --turns 10000,100000`` prints the
numbers the documentation quotes.

    .venv/bin/python scripts/bench_scale.py --out /tmp/scale --turns 10000,100000,1000000
"""

from __future__ import annotations

import sys

import cli

if __name__ == "__main__":
    cli.main(["bench", "scale", *sys.argv[1:]])
