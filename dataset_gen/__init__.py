"""Dataset generation: a conversation simulator and a question generator whose gold turns
are computed from the store's tables, plus a fidelity check against the paper's dataset."""

from dataset_gen.anchoring import CALENDAR, PAPER, PRESETS, Anchoring
from dataset_gen.families import ALL_FAMILIES, OWN_FAMILIES, PAPER_FAMILIES, TIME_FAMILIES
from dataset_gen.fidelity import FidelityReport, check_fidelity, check_fidelity_on_dataset
from dataset_gen.generator import (
    GeneratedItem,
    GenerationConfig,
    generate_items,
    generate_questions,
)
from dataset_gen.llm import ChatClientModel, TextModel
from dataset_gen.output import write_question_set
from dataset_gen.simulator import SimulationConfig, SimulationStats, simulate, write_conversations
from dataset_gen.tmd import read_tmd, write_tmd

__all__ = [
    "ALL_FAMILIES",
    "CALENDAR",
    "OWN_FAMILIES",
    "PAPER",
    "PAPER_FAMILIES",
    "PRESETS",
    "TIME_FAMILIES",
    "Anchoring",
    "ChatClientModel",
    "FidelityReport",
    "GeneratedItem",
    "GenerationConfig",
    "SimulationConfig",
    "SimulationStats",
    "TextModel",
    "check_fidelity",
    "check_fidelity_on_dataset",
    "generate_items",
    "generate_questions",
    "read_tmd",
    "simulate",
    "write_conversations",
    "write_question_set",
    "write_tmd",
]
