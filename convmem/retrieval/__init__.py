"""Retrieval: typed plans compiled to SQL over DuckDB, filtered vector search, BM25, fusion."""
