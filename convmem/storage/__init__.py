"""Storage: the time-indexed DuckDB tables, the Chroma vector index and the loaders."""

from convmem.storage.memory import DoctorReport, IngestReport, MemoryStore

__all__ = ["DoctorReport", "IngestReport", "MemoryStore"]
