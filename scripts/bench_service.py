"""Load benchmark of `convmem serve`: N concurrent clients for a bounded time on 127.0.0.1.

    python scripts/bench_service.py --clients 16 --seconds 60 [--kills 5] [--out bench.json]

A mix of writes (one turn per request, each with its own turn id), retrieves and asks
across conversations.  Prints requests/s, p50/p95/p99 per endpoint and errors; then stops
the server and counts, from the store itself, that every acknowledged turn is stored
exactly once in DuckDB and in Chroma.  With ``--kills K`` the server is SIGKILLed K times
mid-run and restarted on the same store and port; requests that fail while it is down are
retried with the same turn id (writes are idempotent), and are counted apart from errors.
The `hash` embedder is the default: this measures the service, not the model.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.launch import ServerProcess, start_server  # noqa: E402

QUESTIONS = [
    "What did we talk about last time?", "What did we discuss two sessions ago?",
    "what did we say last week?", "What did we talk about in our first session?",
    "what did Ana say about pottery?", "the hike to the lake", "when is the sister visiting?",
    "What did we talk about yesterday?", "anything about the garden in March?",
]
TOPICS = ["pottery", "the lake hike", "a new job", "the garden", "a sister's visit", "a red kayak", "the kiln"]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def seed_transcript(conversation: str, turns: int, rng: random.Random) -> str:
    rows = []
    for i in range(turns):
        day, minute = i // 20, i % 20
        rows.append({
            "conversation": conversation, "turn_id": f"seed-{i}", "session": 1 + day,
            "speaker": "Ana" if i % 2 == 0 else "Ben",
            "text": f"{rng.choice(TOPICS)} came up again, detail {rng.randrange(10_000)}",
            "timestamp": f"2024-{1 + day // 28:02d}-{1 + day % 28:02d}T10:{minute:02d}:00",
        })
    return "".join(json.dumps(r) + "\n" for r in rows)


class Bench:
    def __init__(self, args: argparse.Namespace, store: Path, env: dict[str, str]) -> None:
        self.args, self.store, self.env = args, store, env
        self.deadline = 0.0
        self.url = ""
        self.server: ServerProcess | None = None
        self.up = threading.Event()
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.error_samples: list[str] = []
        self.while_down = 0
        self.acked: set[tuple[str, str]] = set()
        self.restarts: list[float] = []

    def start(self, port: int = 0) -> None:
        self.server = start_server(self.store, self.env, port=port, log=self.store.parent / "server.log")
        self.url = self.server.url
        self.up.set()

    def client(self, number: int) -> None:
        rng = random.Random(self.args.seed * 1000 + number)
        conversations = [f"conv-{i}" for i in range(self.args.conversations)]
        written = 0
        with httpx.Client(timeout=30) as http:
            while time.monotonic() < self.deadline:
                if self.args.think_ms > 0:
                    time.sleep(rng.uniform(0.5, 1.5) * self.args.think_ms / 1000)
                conversation = rng.choice(conversations)
                roll = rng.random()
                if roll < self.args.writes:
                    turn_id = f"c{number}-{written}"
                    body = {"turns": [{"speaker": rng.choice(["Ana", "Ben"]), "turn_id": turn_id,
                                       "text": f"client {number} says something about {rng.choice(TOPICS)}"}]}
                    if self.call(http, "turns", "POST", f"/conversations/{conversation}/turns", body):
                        with self.lock:
                            self.acked.add((conversation, turn_id))
                    written += 1
                else:
                    endpoint = "retrieve" if roll < self.args.writes + (1 - self.args.writes) * 0.7 else "ask"
                    body = {"question": rng.choice(QUESTIONS), "asked_at": "2024-06-01T12:00"}
                    self.call(http, endpoint, "POST", f"/conversations/{conversation}/{endpoint}", body)

    def call(self, http: httpx.Client, endpoint: str, method: str, path: str, body: Any) -> bool:
        """One request, retried (same body) while the server is down; True once acknowledged."""
        for _ in range(1000):
            if not self.up.wait(timeout=max(0.0, self.deadline + 60 - time.monotonic())):
                return False
            started = time.perf_counter()
            try:
                response = http.request(method, self.url + path, json=body)
            except httpx.TransportError:
                with self.lock:
                    self.while_down += 1
                time.sleep(0.05)
                continue
            elapsed = (time.perf_counter() - started) * 1000
            with self.lock:
                if response.status_code == 200:
                    self.latency[endpoint].append(elapsed)
                else:
                    self.errors[endpoint] += 1
                    if len(self.error_samples) < 5:
                        self.error_samples.append(f"{endpoint} {response.status_code} {response.text[:200]}")
            return response.status_code == 200
        return False

    def killer(self) -> None:
        if self.args.kills <= 0:
            return
        began = self.deadline - self.args.seconds
        gap = self.args.seconds / (self.args.kills + 1)
        port = int(self.url.rsplit(":", 1)[1])
        for number in range(1, self.args.kills + 1):  # at evenly spaced moments of the run
            time.sleep(max(0.0, began + number * gap - time.monotonic()))
            if time.monotonic() >= self.deadline:
                return
            assert self.server is not None
            self.up.clear()
            self.server.kill()
            killed_at = time.monotonic()
            self.start(port)
            self.restarts.append(time.monotonic() - killed_at)


def verify(store: Path, acked: set[tuple[str, str]], embedder: str) -> dict[str, Any]:
    """Count, from the store itself, how each acknowledged turn is stored."""
    from convmem.compose import open_store
    from convmem.config import Settings

    settings = Settings.from_env({}, store=store, embedder=embedder)
    with open_store(settings) as memory:
        rows = memory.tables.con.execute(
            "SELECT conversation_id, turn_id, count(*) FROM turns GROUP BY ALL").fetchall()
        stored = {(c, t): int(n) for c, t, n in rows}
        vectors = memory.vectors.all_ids()
        doctor = memory.doctor(repair=False)
    return {
        "acknowledged": len(acked),
        "lost_in_duckdb": sum(1 for key in acked if key not in stored),
        "duplicated_in_duckdb": sum(1 for n in stored.values() if n > 1),
        "lost_in_chroma": sum(1 for c, t in acked if f"{c}#{t}" not in vectors),
        "stored_not_acknowledged": sum(1 for key in stored if key not in acked and not key[1].startswith("seed-")),
        "doctor_healthy": doctor.healthy,
        "turns": doctor.turns, "vectors": doctor.vectors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--conversations", type=int, default=8)
    parser.add_argument("--seed-turns", type=int, default=400, help="Turns per conversation before the run.")
    parser.add_argument("--writes", type=float, default=0.4, help="Share of requests that write a turn.")
    parser.add_argument("--kills", type=int, default=0, help="SIGKILL and restart the server this many times.")
    parser.add_argument("--think-ms", type=float, default=0.0,
                        help="Pause of each client between requests (0: back to back, a stress test).")
    parser.add_argument("--embedder", default="hash")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="Also write the numbers as JSON here.")
    args = parser.parse_args()
    if args.clients < 1 or not 0 < args.seconds <= 3600:
        parser.error("--clients must be >= 1 and --seconds within (0, 3600]")

    work = Path(tempfile.mkdtemp(prefix="bench-service-"))
    store = work / "store"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVMEM_")}
    env.update(CONVMEM_EMBEDDER=args.embedder, ANONYMIZED_TELEMETRY="False", HF_HUB_OFFLINE="1")
    bench = Bench(args, store, env)
    try:
        bench.start()
        rng = random.Random(args.seed)
        with httpx.Client(base_url=bench.url, timeout=300) as http:
            for i in range(args.conversations):
                http.post("/import", content=seed_transcript(f"conv-{i}", args.seed_turns, rng)).raise_for_status()
        bench.deadline = time.monotonic() + args.seconds
        threads = [threading.Thread(target=bench.client, args=(n,)) for n in range(args.clients)]
        killer = threading.Thread(target=bench.killer)
        began = time.monotonic()
        for thread in [*threads, killer]:
            thread.start()
        for thread in [*threads, killer]:
            thread.join()
        wall = time.monotonic() - began
        assert bench.server is not None
        bench.server.stop()
        counts = verify(store, bench.acked, args.embedder)
    finally:
        if bench.server is not None:
            bench.server.kill()
    total = sum(len(v) for v in bench.latency.values())
    report = {
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "wall_s": round(wall, 1), "requests": total, "requests_per_s": round(total / wall, 1),
        "endpoints": {
            name: {"n": len(v), "p50_ms": round(percentile(v, 50), 1), "p95_ms": round(percentile(v, 95), 1),
                   "p99_ms": round(percentile(v, 99), 1), "errors": bench.errors.get(name, 0)}
            for name, v in sorted(bench.latency.items())
        },
        "errors": sum(bench.errors.values()), "error_samples": bench.error_samples,
        "kills_done": len(bench.restarts), "failed_while_down": bench.while_down, "restarts_s": [round(r, 2) for r in bench.restarts],
        "counts": counts,
    }
    print(f"{args.clients} clients (think {args.think_ms:g} ms), {wall:.0f} s, {args.kills} SIGKILL(s): {total} requests,"
          f" {report['requests_per_s']} req/s, {report['errors']} errors")
    print(f"{'endpoint':<10}{'n':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, row in report["endpoints"].items():
        print(f"{name:<10}{row['n']:>8}{row['p50_ms']:>9}{row['p95_ms']:>9}{row['p99_ms']:>9}{row['errors']:>8}")
    print("after the run:", json.dumps(counts))
    if bench.restarts:
        print(f"{len(bench.restarts)} SIGKILL(s) done; restarts took {', '.join(f'{r:.1f}' for r in bench.restarts)} s;"
              f" {bench.while_down} request attempts failed while the server was down (retried)")
    if args.out:
        args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
