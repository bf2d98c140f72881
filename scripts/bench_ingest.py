"""Benchmark ingest: turns per second into a fresh store, embedding included.

    .venv/bin/python scripts/bench_ingest.py                        # TemporalMemoryDataset logs
    .venv/bin/python scripts/bench_ingest.py path/to/ConversationData
    .venv/bin/python scripts/bench_ingest.py --synthetic 5000       # no data needed
    .venv/bin/python scripts/bench_ingest.py --event-times-cost 3   # ingest with and without event times


Builds the store in a temporary directory through the composition root (``--embedder``
defaults to ``minilm``, the default embedder) and prints: model load time (reported apart),
end-to-end ingest rate (loading files excluded, embedding and both stores included), and
the embedding-only rate over the same texts with the model already loaded.  Without the
data directory it generates a few thousand turns of realistic length from a fixed seed, so
it runs on a clean clone.  It prints numbers and asserts nothing.

``--event-times-cost R`` measures what resolving event times at write time
(``convmem.storage.event_times``) costs ingest: R rounds, each ingesting the same turns
into two fresh stores, one as shipped and one with the event-time step replaced by a no-op,
in alternating order; it prints the median wall and CPU seconds of each and the drop in
throughput.  CPU seconds (the process's, all threads) move less than wall time when other
jobs share the machine.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import convmem.storage.tables as tables_module
from convmem.compose import build_embedder, open_store
from convmem.config import Settings
from convmem.embed.base import Embedder
from convmem.storage.loaders import load_paths
from convmem.storage.memory import MemoryStore
from convmem.types import Conversation

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "tmd" / "ConversationData"

_VOCABULARY = (
    "i you we they it the a an and but so because when what how really think know feel like "
    "love want need going went got made said told asked about with from into over after "
    "before today yesterday tomorrow week weekend month year morning evening night last next "
    "work job boss meeting project deadline team office friend family mom dad sister brother "
    "kids dog cat home house garden kitchen dinner lunch coffee tea pizza cake trip beach "
    "mountain city park museum concert movie book song guitar painting pottery class yoga run "
    "marathon gym doctor school exam course photo camera car bike train flight hotel vacation "
    "birthday party wedding gift plan idea story news weather rain sun snow happy excited "
    "tired busy great fun hard nice new old big little favourite amazing wonderful"
)
_WORDS = _VOCABULARY.split()


def synthetic_turns(directory: Path, turns: int, seed: int = 0) -> Path:
    """JSONL transcripts with TMD-like turn lengths (mean about 27 words, long tail)."""
    rng = random.Random(seed)
    out = directory / "synthetic.jsonl"
    start = datetime(2023, 1, 2, 9, 0)
    with out.open("w", encoding="utf-8") as handle:
        for number in range(turns):
            conversation, position = divmod(number, 600)
            when = start + timedelta(days=position // 20 * 3, minutes=position % 20)
            length = max(3, min(400, round(rng.lognormvariate(3.1, 0.6))))
            words = [rng.choice(_WORDS) for _ in range(length)]
            text = " ".join(words).capitalize() + rng.choice([".", "!", "?"])
            record = {
                "conversation": f"synthetic-{conversation}",
                "speaker": "Ann" if position % 2 else "Ben",
                "text": text,
                "timestamp": when.isoformat(),
            }
            handle.write(json.dumps(record) + "\n")
    return out


def _timed_ingest(store: Path, embedder: Embedder, conversations: list[Conversation]) -> tuple[float, float]:
    """Wall and CPU seconds of one ingest into the fresh store ``store``."""
    with MemoryStore(store, embedder, create=True) as memory:
        wall, cpu = time.perf_counter(), time.process_time()
        memory.ingest(conversations)
        return time.perf_counter() - wall, time.process_time() - cpu


def _no_event_times(con: object, turns: object) -> int:
    return 0


def event_times_cost(work: Path, embedder: Embedder, conversations: list[Conversation], rounds: int) -> None:
    """Ingest with and without the event-time step, alternating, and print the medians."""
    shipped: Callable[..., int] = tables_module.insert_turn_times
    turns = sum(len(c.turns) for c in conversations)
    runs: dict[str, list[tuple[float, float]]] = {"with event times": [], "without": []}
    for number in range(rounds):
        order = ["with event times", "without"] if number % 2 == 0 else ["without", "with event times"]
        for variant in order:
            tables_module.insert_turn_times = shipped if variant == "with event times" else _no_event_times  # type: ignore[assignment]
            try:
                store = work / f"cost-{number}-{variant.split()[0]}"
                runs[variant].append(_timed_ingest(store, embedder, conversations))
            finally:
                tables_module.insert_turn_times = shipped
    medians = {v: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r)) for v, r in runs.items()}
    for variant, (wall, cpu) in medians.items():
        print(f"{variant + ':':18s}wall {wall:.2f} s ({turns / wall:.1f} turns/s), cpu {cpu:.2f} s  [median of {rounds}]")
    (wall_on, cpu_on), (wall_off, cpu_off) = medians["with event times"], medians["without"]
    print(f"throughput drop: {100 * (1 - wall_off / wall_on):.1f}% wall, {100 * (1 - cpu_off / cpu_on):.1f}% cpu")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--synthetic", type=int, default=0, metavar="N",
                        help="ingest N generated turns instead of the data directory")
    parser.add_argument("--embedder", default="minilm", help="as CONVMEM_EMBEDDER (default minilm)")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--event-times-cost", type=int, default=0, metavar="ROUNDS",
                        help="compare ingest with and without event times over ROUNDS alternating rounds")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as work:
        source = args.data
        if args.synthetic or not source.exists():
            count = args.synthetic or 4000
            print(f"data:            {count} synthetic turns (seed 0); {source} not used")
            source = synthetic_turns(Path(work), count)
        else:
            print(f"data:            {source}")
        conversations: list[Conversation] = load_paths([source])
        texts = [turn.text for conv in conversations for turn in conv.turns]
        words = sum(len(text.split()) for text in texts) / max(1, len(texts))

        settings = Settings.from_env(
            {}, store=Path(work) / "store", embedder=args.embedder, embed_batch_size=args.batch_size
        )
        started = time.perf_counter()
        embedder = build_embedder(settings)
        dim = embedder.dim  # loads the model (and exports it to ONNX on a first run)
        load_s = time.perf_counter() - started
        backend = getattr(embedder, "active_backend", None) or "-"
        print(f"embedder:        {embedder.name} (dim {dim}, backend {backend})")
        print(f"model load:      {load_s:.2f} s")

        if args.event_times_cost:
            event_times_cost(Path(work), embedder, conversations, args.event_times_cost)
            return
        with open_store(settings, create=True) as memory:
            started = time.perf_counter()
            report = memory.ingest(conversations)
            ingest_s = time.perf_counter() - started
        print(f"turns:           {report.added_turns} in {len(conversations)} conversations"
              f" (mean {words:.1f} words)")
        print(f"ingest:          {ingest_s:.2f} s  ->  {report.added_turns / ingest_s:.1f} turns/s"
              " (embedding included)")

        started = time.perf_counter()
        embedder.embed(texts)
        embed_s = time.perf_counter() - started
        print(f"embedding only:  {embed_s:.2f} s  ->  {len(texts) / embed_s:.1f} turns/s")


if __name__ == "__main__":
    main()
