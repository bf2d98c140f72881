"""Dependencies point one way: cli -> eval -> agent -> convmem; dataset_gen -> convmem."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "convmem": {"convmem"},
    "agent": {"convmem", "agent"},
    "dataset_gen": {"convmem", "dataset_gen"},
    "eval": {"convmem", "agent", "eval"},
    "service": {"convmem", "agent", "service"},
}
OURS = {"convmem", "agent", "dataset_gen", "eval", "service", "cli"}
ADAPTED = {"chromadb": "convmem/storage/vectors.py", "openai": "convmem/llm/openai_backend.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_import_direction() -> None:
    problems = []
    for package, allowed in ALLOWED.items():
        for path in (ROOT / package).rglob("*.py"):
            bad = (_imports(path) & OURS) - allowed
            if bad:
                problems.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert problems == []


def test_third_party_clients_stay_in_their_adapter() -> None:
    problems = []
    for package in ALLOWED:
        for path in (ROOT / package).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            for module, home in ADAPTED.items():
                if module in _imports(path) and rel != home:
                    problems.append(f"{rel} imports {module}")
            if "langchain_core" in _imports(path) and "langchain" not in rel:
                problems.append(f"{rel} imports langchain_core")
    assert problems == []
