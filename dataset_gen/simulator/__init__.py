"""Conversation simulator: two personas, many sessions, realistic timestamps."""

from dataset_gen.simulator.writer import (
    SimulationConfig,
    SimulationStats,
    conversation_lines,
    simulate,
    write_conversations,
)

__all__ = [
    "SimulationConfig",
    "SimulationStats",
    "conversation_lines",
    "simulate",
    "write_conversations",
]
