"""Tests of convmem.retrieval."""
