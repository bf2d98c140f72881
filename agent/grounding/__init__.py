"""Temporal grounding: a question, relative to when it is asked and to its conversation,
becomes constraints (days, windows, sessions, positions, speakers) plus residual content."""

from agent.grounding.parse import content_words, ground
from agent.grounding.types import ConversationFacts, Grounding

__all__ = ["ConversationFacts", "Grounding", "content_words", "ground"]
