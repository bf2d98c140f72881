"""Planners: a question to a chain of table operations (rules, or an LLM)."""
