"""Tests of the evaluation runners and metrics."""
