"""Benchmark the conversation simulator: turns per second, total time, peak memory.

    .venv/bin/python scripts/bench_simulator.py --turns 1000000

Writes to a temporary file (removed afterwards) unless --out is given.  Peak memory stays
flat with size because the simulator streams to disk.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from dataset_gen.simulator import SimulationConfig, write_conversations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=1_000_000)
    parser.add_argument("--sessions", type=int, default=40, help="sessions per conversation")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as work:
        out = args.out or Path(work) / "bench.jsonl"
        config = SimulationConfig(
            sessions=args.sessions, conversations=None, seed=args.seed, max_turns=args.turns
        )
        started = time.perf_counter()
        stats = write_conversations(out, config)
        elapsed = time.perf_counter() - started
        size_mb = out.stat().st_size / 1e6
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"turns:          {stats.turns:,}")
    print(f"conversations:  {stats.conversations:,} ({stats.sessions:,} sessions)")
    print(f"total time:     {elapsed:.1f} s")
    print(f"turns/s:        {stats.turns / elapsed:,.0f}")
    print(f"file size:      {size_mb:,.0f} MB")
    print(f"peak memory:    {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
