"""API keys, each scoped to a set of conversation ids (or ``*`` for all).

The keys file is JSON, ``{"KEY": ["conv-a", "conv-b"], "ADMIN": ["*"]}``; the same object
can come from ``CONVMEM_SERVICE_KEYS`` (a path to such a file).  With no keys every
request is allowed, which the server accepts only on a loopback address.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from pathlib import Path

from convmem.errors import ConfigError, ConvmemError

ALL = "*"


class AuthError(ConvmemError):
    """No key, or a key the server does not know."""

    code = "unauthorized"
    exit_code = 8


class ForbiddenError(ConvmemError):
    """The key is valid but not for this conversation."""

    code = "forbidden"
    exit_code = 8


@dataclass(frozen=True)
class Scope:
    """What one caller may see: some conversation ids, or all of them."""

    conversations: frozenset[str] = field(default_factory=frozenset)
    everything: bool = False

    def allows(self, conversation_id: str) -> bool:
        return self.everything or conversation_id in self.conversations

    def check(self, conversation_id: str) -> None:
        if not self.allows(conversation_id):
            raise ForbiddenError(f"this API key is not allowed to use conversation {conversation_id!r}")

    def visible(self, conversation_ids: list[str]) -> list[str]:
        return [c for c in conversation_ids if self.allows(c)]


OPEN = Scope(everything=True)


@dataclass(frozen=True)
class KeyRing:
    keys: dict[str, Scope] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return bool(self.keys)

    def scope_of(self, key: str | None) -> Scope:
        if not self.enabled:
            return OPEN
        if not key:
            raise AuthError("this server needs an API key: send `Authorization: Bearer KEY`")
        scope = self.keys.get(key)
        if scope is None:
            raise AuthError("unknown API key")
        return scope


def load_keys(path: Path | str | None) -> KeyRing:
    if path is None or str(path) == "":
        return KeyRing()
    where = Path(path)
    try:
        data = json.loads(where.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read keys file {where} ({exc.strerror or exc})") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"keys file {where}: line {exc.lineno}: malformed JSON ({exc.msg})") from None
    if not isinstance(data, dict) or not data:
        raise ConfigError(f'keys file {where}: expected {{"KEY": ["conversation id", ...] or ["*"]}}')
    keys: dict[str, Scope] = {}
    for key, ids in data.items():
        if not isinstance(key, str) or len(key) < 8:
            raise ConfigError(f"keys file {where}: key {key!r} is shorter than 8 characters")
        if isinstance(ids, str):
            ids = [ids]
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ConfigError(f"keys file {where}: key {key[:4]}...: give a list of conversation ids")
        keys[key] = Scope(frozenset(i for i in ids if i != ALL), ALL in ids)
    return KeyRing(keys)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, keys: KeyRing) -> None:
    if not is_loopback(host) and not keys.enabled:
        raise ConfigError(
            f"refusing to serve on {host} without API keys; pass --keys FILE or bind to 127.0.0.1"
        )
