"""The one place that reads configuration.

``Settings.from_env()`` reads ``CONVMEM_*`` variables once; everything else receives a
``Settings`` (or the pieces it needs) through its constructor.  Command-line flags are
applied as overrides on top of the environment with ``Settings.with_overrides``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from convmem.errors import ConfigError

ENV_PREFIX = "CONVMEM_"


def default_store_dir(environ: Mapping[str, str]) -> Path:
    """Per-user data directory: ``$XDG_DATA_HOME/convmem`` or ``~/.local/share/convmem``."""
    base = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "convmem"


CHOICES = {
    "planner": ("rules", "llm", "auto"),
    "disambiguator": ("context", "llm", "auto"),
    "date_order": ("MDY", "DMY"),
    "ranking": ("exchange", "v1"),
}
# Territories that write the month first ("05/06/2023" is May 6th); elsewhere the day comes
# first.  Without a locale (unset, C or POSIX) the month comes first, as in the datasets.
MONTH_FIRST_TERRITORIES = frozenset({"US", "PH", "FM", "MH", "PW", "AS", "GU", "MP", "PR", "UM", "VI"})


def date_order_of_locale(environ: Mapping[str, str]) -> str:
    """``MDY`` or ``DMY`` from the locale variables (LC_ALL, LC_TIME, LANG, in that order)."""
    name = next((environ[k] for k in ("LC_ALL", "LC_TIME", "LANG") if environ.get(k)), "")
    language = name.split(".")[0].split("@")[0]
    if "_" not in language:
        return "MDY"
    return "MDY" if language.split("_")[1].upper() in MONTH_FIRST_TERRITORIES else "DMY"


@dataclass(frozen=True)
class Settings:
    # storage
    store: Path = Path()
    # embeddings: "minilm" (offline all-MiniLM-L6-v2), "hash" (deterministic, tests and
    # scale runs), "openai:<model>" (an OpenAI-compatible /v1/embeddings endpoint), or any
    # sentence-transformers model name or local path.
    embedder: str = "minilm"
    embed_batch_size: int = 64
    embed_base_url: str = ""
    embed_api_key: str = ""
    device: str = "auto"
    # ingest
    session_gap_minutes: float = 20.0
    words_per_minute: float = 130.0
    max_turn_chars: int = 32_000  # longer turns are refused at ingest, naming file and line
    # retrieval
    planner: str = "auto"  # rules | llm | auto
    disambiguator: str = "auto"  # context | llm | auto
    retrieval_k: int = 10  # content-only questions: hybrid top-k
    time_content_k: int = 5  # time+content questions: at most k of the rows the plan selects
    # keep rows scoring within this of the best (score: keyword overlap 0..1 + cosine); < 0: off
    time_content_cutoff: float = 0.3
    # exchange: replies rank with the questions they answer, attributed speakers first,
    # normalised score fusion; v1: turns scored alone, reciprocal rank fusion
    ranking: str = "exchange"
    # content-only answers need a turn at least this similar (cosine) to the question;
    # -1: the floor measured for the embedder (agent/relevance.py); below -1: no floor
    content_floor: float = -1.0
    # how a numeric date like 05/06/2023 is read: MDY or DMY (default: from the locale)
    date_order: str = "MDY"
    # llm: backend "" means no LLM (extractive answers)
    llm_backend: str = ""
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout_s: float = 60.0
    llm_max_retries: int = 2
    llm_max_tokens: int = 512
    llm_cache_dir: str = ""
    llm_cache_mode: str = "record"  # record | replay | off (used when llm_cache_dir is set)
    # service: a Chroma server for the vector side ("" = embedded, in the store directory),
    # and the API keys file of `convmem serve` (JSON: {"KEY": ["conversation id" | "*", ...]})
    chroma_url: str = ""
    service_keys: str = ""
    api_key: str = ""  # the key CLI commands send to a running server
    # seconds a command waits for a store another process holds for a moment (a chat
    # storing a turn) before it gives up with an error naming that process
    store_wait_s: float = 30.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            values[f.name] = _coerce(f.name, f.type, raw)
        if "store" not in values:
            values["store"] = default_store_dir(env)
        if "date_order" in values:
            values["date_order"] = str(values["date_order"]).upper()
        else:
            values["date_order"] = date_order_of_locale(env)
        # The LLM is configured by giving it a base URL (OpenAI-compatible) or a backend.
        if "llm_backend" not in values and values.get("llm_base_url"):
            values["llm_backend"] = "openai"
        settings = cls(**values)
        return settings.with_overrides(**overrides)

    def with_overrides(self, **overrides: Any) -> Settings:
        clean = {k: v for k, v in overrides.items() if v is not None}
        for name, allowed in CHOICES.items():
            value = clean.get(name, getattr(self, name))
            if value not in allowed:
                raise ConfigError(f"{name} {value!r} is not one of {', '.join(allowed)}")
        if "store" in clean:
            clean["store"] = Path(clean["store"]).expanduser()
        unknown = set(clean) - {f.name for f in fields(self)}
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return replace(self, **clean)

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_backend)


def _coerce(name: str, type_name: Any, raw: str) -> Any:
    kind = str(type_name)
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "Path":
            return Path(raw).expanduser()
    except ValueError:
        raise ConfigError(
            f"{ENV_PREFIX}{name.upper()}={raw!r} is not a valid {kind}; fix or unset it"
        ) from None
    return raw
