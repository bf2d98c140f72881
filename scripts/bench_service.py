"""Load benchmark of `convmem serve`: N concurrent clients for a bounded time on 127.0.0.1.

    python scripts/bench_service.py --clients 16 --seconds 60 [--kills 5] [--out bench.json]

A mix of writes (one turn per request, each with its own turn id), retrieves and asks
across conversations, sent by closed-loop clients (no think time unless ``--think-ms``).
Prints requests/s, p50/p95/p99 per endpoint and errors; the CPU the server spent per
request (its utime+stime from /proc over the run, divided by the requests served) and the
benchmark's own CPU share; then stops the server and counts, from the store itself, that
every acknowledged turn is stored exactly once in DuckDB and in Chroma.  ``--phase-seconds``
adds one short phase per endpoint (the same clients, that endpoint alone) whose server CPU
divided by its requests is that endpoint's CPU cost.  With ``--kills K`` the server is
SIGKILLed K times mid-run and restarted on the same store and port; requests that fail
while it is down are retried with the same turn id (writes are idempotent), and are
counted apart from errors.  ``--chroma-server`` keeps the vectors on a ``chroma run``
server on loopback (``CONVMEM_CHROMA_URL``) and also reports that server's CPU.

The clients are asyncio tasks speaking plain HTTP/1.1 over keep-alive connections in one
thread, so the load generator costs little of the CPU it shares with the server.  A
request's latency runs from writing the request to having read the whole response body.
The `hash` embedder is the default: this measures the service, not the model.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.launch import ServerProcess, start_chroma, start_server  # noqa: E402

QUESTIONS = [
    "What did we talk about last time?", "What did we discuss two sessions ago?",
    "what did we say last week?", "What did we talk about in our first session?",
    "what did Ana say about pottery?", "the hike to the lake", "when is the sister visiting?",
    "What did we talk about yesterday?", "anything about the garden in March?",
]
TOPICS = ["pottery", "the lake hike", "a new job", "the garden", "a sister's visit", "a red kayak", "the kiln"]
ENDPOINTS = ("turns", "retrieve", "ask")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def process_cpu_s(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # fields 14 and 15 of stat(5)


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


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


class Down(Exception):
    """The connection failed (the server is down or was killed mid-request)."""


class Connection:
    """One keep-alive HTTP/1.1 connection: a request, then its whole response."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        try:
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            assert self.reader is not None
            head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n")
            self.writer.write(head.encode() + body)
            status = int((await self.reader.readline()).split(b" ", 2)[1])
            headers: dict[bytes, bytes] = {}
            while (line := await self.reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip().lower()
            if b"content-length" in headers:
                data = await self.reader.readexactly(int(headers[b"content-length"]))
            else:  # chunked
                parts = []
                while size := int((await self.reader.readline()).split(b";")[0], 16):
                    parts.append(await self.reader.readexactly(size))
                    await self.reader.readline()
                await self.reader.readline()
                data = b"".join(parts)
            if headers.get(b"connection") == b"close":
                self.close()
            return status, data
        except (OSError, asyncio.IncompleteReadError, IndexError, ValueError) as exc:
            self.close()
            raise Down(str(exc)) from None


class Bench:
    def __init__(self, args: argparse.Namespace, store: Path, env: dict[str, str]) -> None:
        self.args, self.store, self.env = args, store, env
        self.deadline = 0.0
        self.url = ""
        self.server: ServerProcess | None = None
        self.up = asyncio.Event()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.error_samples: list[str] = []
        self.while_down = 0
        self.acked: set[tuple[str, str]] = set()
        self.restarts: list[float] = []
        self.cpu_of_gone = 0.0  # CPU of servers already killed
        self.written: dict[int, int] = defaultdict(int)
        self.chroma: subprocess.Popen[bytes] | None = None

    def start(self, port: int = 0) -> None:
        self.server = start_server(self.store, self.env, port=port, log=self.store.parent / "server.log")
        self.url = self.server.url

    def server_cpu_s(self) -> float:
        return self.cpu_of_gone + (process_cpu_s(self.server.process.pid) if self.server else 0.0)

    def chroma_cpu_s(self) -> float:
        return process_cpu_s(self.chroma.pid) if self.chroma is not None else 0.0

    def pick(self, rng: random.Random, writes: float, retrieves_of_reads: float = 0.7) -> str:
        roll = rng.random()
        if roll < writes:
            return "turns"
        return "retrieve" if roll < writes + (1 - writes) * retrieves_of_reads else "ask"

    async def client(self, number: int, choose: Callable[[random.Random], str],
                     latency: dict[str, list[float]]) -> None:
        rng = random.Random(self.args.seed * 1000 + number)
        conversations = [f"conv-{i}" for i in range(self.args.conversations)]
        host, port = self.url.removeprefix("http://").rsplit(":", 1)
        connection = Connection(host, int(port))
        try:
            while time.monotonic() < self.deadline:
                if self.args.think_ms > 0:
                    await asyncio.sleep(rng.uniform(0.5, 1.5) * self.args.think_ms / 1000)
                conversation = rng.choice(conversations)
                endpoint = choose(rng)
                if endpoint == "turns":
                    turn_id = f"c{number}-{self.written[number]}"
                    self.written[number] += 1
                    body: dict[str, Any] = {"turns": [{
                        "speaker": rng.choice(["Ana", "Ben"]), "turn_id": turn_id,
                        "text": f"client {number} says something about {rng.choice(TOPICS)}"}]}
                    if await self.call(connection, endpoint, f"/conversations/{conversation}/turns", body, latency):
                        self.acked.add((conversation, turn_id))
                else:
                    body = {"question": rng.choice(QUESTIONS), "asked_at": "2024-06-01T12:00"}
                    await self.call(connection, endpoint, f"/conversations/{conversation}/{endpoint}", body, latency)
        finally:
            connection.close()

    async def call(self, connection: Connection, endpoint: str, path: str, body: Any,
                   latency: dict[str, list[float]]) -> bool:
        """One request, retried (same body) while the server is down; True once acknowledged."""
        payload = json.dumps(body).encode()
        for _ in range(1000):
            try:
                await asyncio.wait_for(self.up.wait(), max(0.01, self.deadline + 60 - time.monotonic()))
            except TimeoutError:
                return False
            started = time.perf_counter()
            try:
                status, text = await asyncio.wait_for(connection.request("POST", path, payload), 30)
            except (Down, TimeoutError):
                connection.close()
                self.while_down += 1
                await asyncio.sleep(0.05)
                continue
            elapsed = (time.perf_counter() - started) * 1000
            if status == 200:
                latency[endpoint].append(elapsed)
            else:
                self.errors[endpoint] += 1
                if len(self.error_samples) < 5:
                    self.error_samples.append(f"{endpoint} {status} {text[:200].decode(errors='replace')}")
            return status == 200
        return False

    async def killer(self) -> None:
        if self.args.kills <= 0:
            return
        began = self.deadline - self.args.seconds
        gap = self.args.seconds / (self.args.kills + 1)
        port = int(self.url.rsplit(":", 1)[1])
        for number in range(1, self.args.kills + 1):  # at evenly spaced moments of the run
            await asyncio.sleep(max(0.0, began + number * gap - time.monotonic()))
            if time.monotonic() >= self.deadline:
                return
            assert self.server is not None
            self.up.clear()
            self.cpu_of_gone += process_cpu_s(self.server.process.pid)
            self.server.kill()
            killed_at = time.monotonic()
            await asyncio.to_thread(self.start, port)
            self.up.set()
            self.restarts.append(time.monotonic() - killed_at)

    async def phase(self, seconds: float, choose: Callable[[random.Random], str],
                    latency: dict[str, list[float]], kills: bool) -> dict[str, float]:
        """All clients for ``seconds``; the server's and this process's CPU over it."""
        self.up.set()
        cpu0, own0, wall0 = self.server_cpu_s(), time.process_time(), time.monotonic()
        chroma0 = self.chroma_cpu_s()
        self.deadline = wall0 + seconds
        tasks = [self.client(n, choose, latency) for n in range(self.args.clients)]
        await asyncio.gather(*tasks, *([self.killer()] if kills else []))
        wall = time.monotonic() - wall0
        return {"wall_s": wall, "server_cpu_s": self.server_cpu_s() - cpu0, "client_cpu_s": time.process_time() - own0,
                "chroma_cpu_s": self.chroma_cpu_s() - chroma0}


def verify(store: Path, acked: set[tuple[str, str]], embedder: str, chroma_url: str = "") -> dict[str, Any]:
    """Count, from the store itself, how each acknowledged turn is stored."""
    from convmem.compose import open_store
    from convmem.config import Settings

    settings = Settings.from_env({"CONVMEM_CHROMA_URL": chroma_url} if chroma_url else {}, store=store, embedder=embedder)
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


def rows_of(latency: dict[str, list[float]], errors: dict[str, int]) -> dict[str, dict[str, Any]]:
    return {
        name: {"n": len(v), "p50_ms": round(percentile(v, 50), 1), "p95_ms": round(percentile(v, 95), 1),
               "p99_ms": round(percentile(v, 99), 1), "errors": errors.get(name, 0)}
        for name, v in sorted(latency.items())
    }


async def run(bench: Bench, args: argparse.Namespace) -> dict[str, Any]:
    main: dict[str, list[float]] = defaultdict(list)
    load_before = loadavg()
    usage = await bench.phase(args.seconds, lambda rng: bench.pick(rng, args.writes), main, kills=True)
    load_after = loadavg()
    served = sum(len(v) for v in main.values())
    report: dict[str, Any] = {
        "wall_s": round(usage["wall_s"], 1), "requests": served,
        "requests_per_s": round(served / usage["wall_s"], 1),
        "mix": {name: round(len(v) / max(1, served), 3) for name, v in sorted(main.items())},
        "endpoints": rows_of(main, bench.errors),
        "loadavg_before": load_before, "loadavg_after": load_after,
        "server_cpu_ms_per_request": round(1000 * usage["server_cpu_s"] / max(1, served), 2),
        "server_cpu_share": round(usage["server_cpu_s"] / usage["wall_s"], 2),
        "chroma_server_cpu_ms_per_request": round(1000 * usage["chroma_cpu_s"] / max(1, served), 2),
        "client_cpu_ms_per_request": round(1000 * usage["client_cpu_s"] / max(1, served), 2),
        "client_cpu_share": round(usage["client_cpu_s"] / usage["wall_s"], 2),
        "errors": sum(bench.errors.values()), "error_samples": bench.error_samples,
        "kills_done": len(bench.restarts), "failed_while_down": bench.while_down,
        "restarts_s": [round(r, 2) for r in bench.restarts],
    }
    if args.phase_seconds > 0:
        report["cpu_by_endpoint"] = {}
        for endpoint in ENDPOINTS:
            alone: dict[str, list[float]] = defaultdict(list)
            used = await bench.phase(args.phase_seconds, lambda _rng, e=endpoint: e, alone, kills=False)
            n = len(alone[endpoint])
            report["cpu_by_endpoint"][endpoint] = {
                "n": n, "server_cpu_ms_per_request": round(1000 * used["server_cpu_s"] / max(1, n), 2),
                "p50_ms": round(percentile(alone[endpoint], 50), 1), "p95_ms": round(percentile(alone[endpoint], 95), 1),
            }
    return report


def show(args: argparse.Namespace, report: dict[str, Any]) -> None:
    print(f"{args.clients} clients (think {args.think_ms:g} ms), {report['wall_s']:.0f} s, {args.kills} SIGKILL(s):"
          f" {report['requests']} requests, {report['requests_per_s']} req/s, {report['errors']} errors;"
          f" mix {json.dumps(report['mix'])}")
    print(f"load average {report['loadavg_before']} before, {report['loadavg_after']} after")
    print(f"{'endpoint':<10}{'n':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, row in report["endpoints"].items():
        print(f"{name:<10}{row['n']:>8}{row['p50_ms']:>9}{row['p95_ms']:>9}{row['p99_ms']:>9}{row['errors']:>8}")
    print(f"server CPU {report['server_cpu_ms_per_request']} ms per request ({report['server_cpu_share']:.0%} of a core);"
          f" benchmark client CPU {report['client_cpu_ms_per_request']} ms per request"
          f" ({report['client_cpu_share']:.0%} of a core)")
    for name, row in report.get("cpu_by_endpoint", {}).items():
        print(f"  {name} alone ({args.phase_seconds:g} s, {row['n']} requests): server CPU"
              f" {row['server_cpu_ms_per_request']} ms per request, p50/p95 {row['p50_ms']}/{row['p95_ms']} ms")
    if args.chroma_server:
        print(f"Chroma server CPU {report['chroma_server_cpu_ms_per_request']} ms per request")
    print("after the run:", json.dumps(report["counts"]))
    if report["kills_done"]:
        print(f"{report['kills_done']} SIGKILL(s) done; restarts took {', '.join(f'{r:.1f}' for r in report['restarts_s'])}"
              f" s; {report['failed_while_down']} request attempts failed while the server was down (retried)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--conversations", type=int, default=8)
    parser.add_argument("--seed-turns", type=int, default=400, help="Turns per conversation before the run.")
    parser.add_argument("--writes", type=float, default=0.4, help="Share of requests that write a turn.")
    parser.add_argument("--kills", type=int, default=0, help="SIGKILL and restart the server this many times.")
    parser.add_argument("--think-ms", type=float, default=0.0,
                        help="Pause of each client between requests (0: back to back, a stress test).")
    parser.add_argument("--phase-seconds", type=float, default=0.0,
                        help="After the run, this long per endpoint alone, for its CPU cost per request.")
    parser.add_argument("--embedder", default="hash")
    parser.add_argument("--chroma-server", action="store_true",
                        help="Keep the vectors on a `chroma run` server (CONVMEM_CHROMA_URL) instead of in-process.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="Also write the numbers as JSON here.")
    args = parser.parse_args()
    if args.clients < 1 or not 0 < args.seconds <= 3600 or not 0 <= args.writes <= 1:
        parser.error("--clients must be >= 1, --seconds within (0, 3600] and --writes within [0, 1]")

    work = Path(tempfile.mkdtemp(prefix="bench-service-"))
    store = work / "store"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVMEM_")}
    env.update(CONVMEM_EMBEDDER=args.embedder, ANONYMIZED_TELEMETRY="False", HF_HUB_OFFLINE="1")
    bench = Bench(args, store, env)
    chroma_url = ""
    try:
        if args.chroma_server:
            bench.chroma, chroma_url = start_chroma(work)
            env["CONVMEM_CHROMA_URL"] = chroma_url
        bench.start()
        rng = random.Random(args.seed)
        with httpx.Client(base_url=bench.url, timeout=300) as http:
            for i in range(args.conversations):
                http.post("/import", content=seed_transcript(f"conv-{i}", args.seed_turns, rng)).raise_for_status()
        report = asyncio.run(run(bench, args))
        assert bench.server is not None
        bench.server.stop()
        report["counts"] = verify(store, bench.acked, args.embedder, chroma_url)
    finally:
        if bench.server is not None:
            bench.server.kill()
        if bench.chroma is not None:
            bench.chroma.terminate()
            bench.chroma.wait(20)
    report = {"config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}, **report}
    show(args, report)
    if args.out:
        args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
