"""One error base for the whole project, with stable codes.

Every error a user can cause or fix carries a ``code`` (stable, for scripts and tests),
a message that says what to do, and whether retrying the same call can succeed.
The CLI prints ``message`` as one red line and exits with ``exit_code``.
"""

from __future__ import annotations


class ConvmemError(Exception):
    code = "convmem_error"
    exit_code = 1
    retryable = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(ConvmemError):
    code = "config_error"
    exit_code = 2


class InputFormatError(ConvmemError):
    """Bad input file: names the file and the line or field."""

    code = "bad_input"
    exit_code = 2

    def __init__(self, path: object, where: str, problem: str) -> None:
        location = f"{path}: {where}: " if where else f"{path}: "
        super().__init__(f"{location}{problem}")
        self.path = str(path)
        self.where = where
        self.problem = problem


class StoreError(ConvmemError):
    code = "store_error"
    exit_code = 3


class StoreMissingError(StoreError):
    code = "store_missing"


class StoreCorruptError(StoreError):
    code = "store_corrupt"


class StoreReadOnlyError(StoreError):
    """The store's files or file system cannot be written: it opens for reading only."""

    code = "store_read_only"


class StoreFullError(StoreError):
    """The disk holding the store is full; nothing was stored, so retrying after freeing
    space succeeds."""

    code = "store_full"
    retryable = True


class StoreBusyError(StoreError):
    """Another process holds the store's DuckDB file (a chat writing a turn, say); the
    same call can succeed once it lets go."""

    code = "store_busy"
    retryable = True


class ConversationConflictError(StoreError):
    code = "conversation_conflict"


class NotFoundError(ConvmemError):
    code = "not_found"
    exit_code = 4


class EmptyMemoryError(NotFoundError):
    code = "empty_memory"


class PlanError(ConvmemError):
    """A plan (from the rules or from an LLM) failed validation against the schema."""

    code = "invalid_plan"
    exit_code = 5


class EmbeddingError(ConvmemError):
    code = "embedding_error"
    exit_code = 6


class LLMError(ConvmemError):
    code = "llm_error"
    exit_code = 7


class LLMUnavailableError(LLMError):
    """The server cannot be reached or timed out: retrying may help."""

    code = "llm_unavailable"
    retryable = True


class LLMRateLimitError(LLMError):
    code = "llm_rate_limited"
    retryable = True


class LLMModelNotFoundError(LLMError):
    code = "llm_model_not_found"


class LLMAuthError(LLMError):
    code = "llm_auth"


class LLMOutputError(LLMError):
    """The model answered, but not in the shape that was asked for."""

    code = "llm_bad_output"


def is_retryable(error: BaseException) -> bool:
    return isinstance(error, ConvmemError) and error.retryable
