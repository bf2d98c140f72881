"""How long `convmem ask` waits for a server that trickles bytes or never answers.

Prints the wall time of the whole command (start-up included) for each server and timeout;
with one deadline per request it is the timeout plus start-up, whatever the server does.

    python scripts/bench_llm_deadline.py [--timeouts 10,60]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures import tmd_log, write_json  # noqa: E402
from tests.hardening.hostile import hostile_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeouts", default="10,60")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "CONVMEM_EMBEDDER": "hash",
               "CONVMEM_STORE": str(Path(work) / "store")}
        log = write_json(Path(work) / "c.json", tmd_log(sessions=3))
        cli = [sys.executable, "-c", "import cli; cli.main()"]
        subprocess.run([*cli, "ingest", str(log)], env=env, check=True, capture_output=True)
        print("server                 timeout  wall     exit")
        for mode, label, trickle in (("trickle", "one byte every 5 s", 5.0), ("silent", "never answers", 0.0)):
            with hostile_server(mode, trickle_s=trickle) as server:
                for timeout in args.timeouts.split(","):
                    run_env = {**env, "CONVMEM_LLM_BASE_URL": server.base_url, "CONVMEM_LLM_MODEL": "m",
                               "CONVMEM_LLM_TIMEOUT_S": timeout}
                    started = time.monotonic()
                    done = subprocess.run([*cli, "ask", "what did we talk about in session 2?", "-c", "c"],
                                          env=run_env, capture_output=True, text=True)
                    print(f"{label:<22} {timeout:>5} s  {time.monotonic() - started:6.1f} s  {done.returncode}")


if __name__ == "__main__":
    main()
