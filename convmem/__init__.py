"""convmem: long-term memory for conversational agents that gets time and context right.

The core library: domain types, configuration, storage (DuckDB + Chroma), retrieval,
the LLM port and time utilities. It imports nothing from ``agent``, ``dataset_gen``,
``eval`` or the CLI.
"""

__version__ = "0.1.0"
