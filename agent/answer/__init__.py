"""Answerers: from the retrieved turns to the text the user reads.

``ExtractiveAnswerer`` needs no model and is always available (it is also what the agent
falls back on when an LLM fails); ``LLMAnswerer`` writes the answer with the configured
LLM, streaming it.  Both cite the turns they rest on as ``[t:ID]``.
"""

from agent.answer.base import Answer, Answerer, EventDate, Evidence, TextSink, citations
from agent.answer.extractive import ExtractiveAnswerer
from agent.answer.llm import LLMAnswerer

__all__ = [
    "Answer",
    "Answerer",
    "EventDate",
    "Evidence",
    "ExtractiveAnswerer",
    "LLMAnswerer",
    "TextSink",
    "citations",
]
