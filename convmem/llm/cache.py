"""Record/replay of LLM traffic in a directory, keyed by a hash of the canonical request.

Evaluations ask the same questions many times; recording the answers once makes a rerun
free and exactly repeatable, and lets tests replay real traffic with no server.  One JSON
file per request (``<dir>/<key[:2]>/<key>.json``) holds the canonical request next to
the response, so a recording can be read, diffed and deleted by hand.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from convmem.errors import ConfigError, LLMError
from convmem.llm.types import ChatRequest, ChatResponse

MODES = ("record", "replay", "off")


class ResponseCache:
    """``record``: answer from the directory when it can, else call and store.
    ``replay``: answer from the directory only; a miss is an error, so a replayed run
    can never reach a server by accident.  ``off``: neither read nor write."""

    def __init__(self, directory: Path | str, mode: str = "record") -> None:
        if mode not in MODES:
            raise ConfigError(
                f"CONVMEM_LLM_CACHE_MODE={mode!r} is not one of {', '.join(MODES)}; fix or unset it"
            )
        self.directory = Path(directory).expanduser()
        self.mode = mode

    @property
    def reads(self) -> bool:
        return self.mode in ("record", "replay")

    @property
    def writes(self) -> bool:
        return self.mode == "record"

    def path_for(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, request: ChatRequest, backend: str, model: str) -> ChatResponse | None:
        if not self.reads:
            return None
        key = request.cache_key(backend, model)
        path = self.path_for(key)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            # A stored request that differs means a hash collision or a hand edit: a miss.
            if record["request"] != request.canonical(backend, model):
                raise ValueError("stored request differs")
            response = ChatResponse.from_record(record["response"])
        except (OSError, ValueError, KeyError, TypeError):
            response = None
        if response is None and self.mode == "replay":
            raise LLMError(
                f"no recorded answer for this {request.purpose!r} request in {self.directory}"
                f" (key {key[:12]}); run once with CONVMEM_LLM_CACHE_MODE=record"
            )
        return response

    def put(self, request: ChatRequest, backend: str, model: str, response: ChatResponse) -> None:
        """Write atomically, so a killed run never leaves a half-written answer to replay."""
        if not self.writes:
            return
        key = request.cache_key(backend, model)
        path = self.path_for(key)
        record = {
            "key": key,
            "purpose": request.purpose,
            "request": request.canonical(backend, model),
            "response": response.to_record(),
        }
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(record, handle, ensure_ascii=False, indent=1, sort_keys=True)
                os.replace(tmp, path)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        except OSError as exc:
            raise ConfigError(
                f"cannot write the LLM cache in {self.directory} ({exc.strerror or exc});"
                " fix its permissions or unset CONVMEM_LLM_CACHE_DIR"
            ) from exc
