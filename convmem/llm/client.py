"""The one LLM client: every call from planners, rewriters and answerers goes through here.

It wraps any ``ChatBackend`` once with what every call needs: a bounded ``max_tokens``, one
deadline per request (``timeout_s`` covers connecting, every read and every retry), retries with backoff on transient errors only, the record/replay cache,
token accounting per purpose, and JSON-schema validation of structured answers.  Callers
receive it from the composition root and never build a client of their own.

A failure never loses the caller's data: requests are immutable, and every error raised
here carries the ``request`` it was for; a stream that breaks half-way also carries the
``partial_text`` already delivered, and a structured answer that fails validation carries
the raw ``response``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, TypeVar

from convmem.errors import LLMError, LLMUnavailableError
from convmem.llm.cache import ResponseCache
from convmem.llm.deadline import Deadline, DeadlineExceeded, call_within, iterate_within
from convmem.llm.structured import validated
from convmem.llm.types import (
    ChatBackend,
    ChatRequest,
    ChatResponse,
    PurposeUsage,
    estimate_tokens,
    prompt_text,
)

T = TypeVar("T")
MAX_BACKOFF_S = 8.0


class LLMClient:
    def __init__(
        self,
        backend: ChatBackend,
        *,
        timeout_s: float = 60.0,
        max_retries: int = 2,
        max_tokens: int = 512,
        cache: ResponseCache | None = None,
        backoff_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries cannot be negative")
        self.backend = backend
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.max_tokens = max_tokens
        self.cache = cache
        self.backoff_s = backoff_s
        self._sleep = sleep
        self._clock = clock
        self._usage: dict[str, PurposeUsage] = {}
        self._lock = threading.Lock()

    # ---- calls --------------------------------------------------------------------------
    def complete(self, request: ChatRequest, *, timeout_s: float | None = None) -> ChatResponse:
        """One answer, from the cache when recorded, else from the backend (with retries)."""
        request = self._bounded(request)
        response = self._respond(request, timeout_s)
        self._store(request, response)
        return response

    def complete_json(
        self, request: ChatRequest, *, timeout_s: float | None = None
    ) -> ChatResponse:
        """An answer whose ``parsed`` value validates against ``request.json_schema``.

        Only validated answers are recorded, so a cache never pins a bad answer.
        """
        schema = request.json_schema
        if schema is None:
            raise ValueError("complete_json needs a request with json_schema")
        request = self._bounded(request)
        response = self._respond(request, timeout_s)
        try:
            parsed = validated(response, schema, request.purpose)
        except LLMError as error:
            self._count_failure(request.purpose)
            raise _keep(error, request=request, response=response) from None
        self._store(request, response)
        return replace(response, parsed=parsed)

    def stream(self, request: ChatRequest, *, timeout_s: float | None = None) -> Iterator[str]:
        """Text deltas as they arrive; usage is recorded when the stream ends (or is
        abandoned), and the whole answer is cached once it is complete.  A transient
        error is retried only before the first delta: text already shown cannot be
        taken back."""
        return self._stream(self._bounded(request), timeout_s)

    # ---- accounting ---------------------------------------------------------------------
    def usage(self) -> dict[str, PurposeUsage]:
        """Totals per purpose (copies)."""
        with self._lock:
            result = {}
            for purpose, usage in self._usage.items():
                copy = PurposeUsage()
                copy.add(usage)
                result[purpose] = copy
            return result

    def total_usage(self) -> PurposeUsage:
        total = PurposeUsage()
        for usage in self.usage().values():
            total.add(usage)
        return total

    # ---- internals ----------------------------------------------------------------------
    def _bounded(self, request: ChatRequest) -> ChatRequest:
        if request.max_tokens is None:
            return replace(request, max_tokens=self.max_tokens)
        return request

    def _respond(self, request: ChatRequest, timeout_s: float | None) -> ChatResponse:
        hit = self._cached(request)
        if hit is not None:
            return hit
        deadline = Deadline(timeout_s if timeout_s is not None else self.timeout_s)
        started = self._clock()
        response = self._with_retries(
            request,
            lambda left: call_within(lambda: self.backend.complete(request, timeout_s=left), left),
            deadline,
        )
        response = replace(response, latency_ms=(self._clock() - started) * 1000.0, cached=False)
        self._account(request.purpose, response)
        return response

    def _cached(self, request: ChatRequest) -> ChatResponse | None:
        if self.cache is None:
            return None
        try:
            hit = self.cache.get(request, self.backend.name, self.backend.model)
        except LLMError as error:
            self._count_failure(request.purpose)
            raise _keep(error, request=request) from None
        if hit is None:
            return None
        hit = replace(hit, cached=True)
        self._account(request.purpose, hit)
        return hit

    def _store(self, request: ChatRequest, response: ChatResponse) -> None:
        if self.cache is not None and not response.cached:
            self.cache.put(request, self.backend.name, self.backend.model, response)

    def _with_retries(
        self, request: ChatRequest, call: Callable[[float], T], deadline: Deadline
    ) -> T:
        """``call(seconds_left)`` until it succeeds, fails for good, or the deadline passes."""
        attempt = 0
        while True:
            try:
                if deadline.expired:
                    raise DeadlineExceeded
                return call(deadline.remaining())
            except DeadlineExceeded:
                self._count_failure(request.purpose)
                raise _keep(self._timed_out(deadline, attempt + 1), request=request) from None
            except LLMError as error:
                if isinstance(error, LLMUnavailableError) and deadline.expired:
                    # the backend's own timeout, set to what was left: the total ran out
                    self._count_failure(request.purpose)
                    raise _keep(self._timed_out(deadline, attempt + 1), request=request) from error
                delay = self._delay(attempt)
                if not error.retryable or attempt >= self.max_retries or delay >= deadline.remaining():
                    self._count_failure(request.purpose)
                    raise _final(error, attempt + 1, request) from error
                self._count_retry(request.purpose)
                self._sleep(delay)
                attempt += 1

    def _timed_out(self, deadline: Deadline, attempts: int) -> LLMError:
        where = getattr(self.backend, "base_url", "") or f"{self.backend.name}:{self.backend.model}"
        tries = f" ({attempts} attempts)" if attempts > 1 else ""
        return LLMUnavailableError(
            f"the LLM at {where} did not answer within {deadline.seconds:g}s{tries};"
            " CONVMEM_LLM_TIMEOUT_S is the total for connecting, reading and retries:"
            " raise it or check the server"
        )

    def _delay(self, attempt: int) -> float:
        return min(MAX_BACKOFF_S, self.backoff_s * (2**attempt))

    def _stream(self, request: ChatRequest, timeout_s: float | None) -> Iterator[str]:
        hit = self._cached(request)
        if hit is not None:
            if hit.text:
                yield hit.text
            return
        deadline = Deadline(timeout_s if timeout_s is not None else self.timeout_s)
        started = self._clock()
        parts: list[str] = []
        attempt = 0
        iterator: Iterator[str] | None = None
        final: Any = None
        finished = False
        try:
            while True:
                try:
                    if iterator is None:
                        iterator = iterate_within(
                            lambda: iter(
                                self.backend.stream(request, timeout_s=deadline.remaining())
                            ),
                            deadline,
                        )
                    delta = next(iterator)
                except StopIteration as stop:
                    final = stop.value
                    break
                except DeadlineExceeded:
                    self._count_failure(request.purpose)
                    raised = _keep(self._timed_out(deadline, attempt + 1), request=request)
                    raise _keep(raised, partial_text="".join(parts)) from None
                except LLMError as error:
                    delay = self._delay(attempt)
                    if (
                        not parts
                        and error.retryable
                        and attempt < self.max_retries
                        and delay < deadline.remaining()
                    ):
                        self._count_retry(request.purpose)
                        self._sleep(delay)
                        attempt += 1
                        iterator = None
                        continue
                    self._count_failure(request.purpose)
                    expired = isinstance(error, LLMUnavailableError) and deadline.expired
                    raised = self._timed_out(deadline, attempt + 1) if expired else _final(error, attempt + 1, request)
                    raise _keep(raised, request=request, partial_text="".join(parts)) from error
                if delta:
                    parts.append(delta)
                    yield delta
            finished = True
        finally:
            close = getattr(iterator, "close", None)
            if close is not None and not finished:
                close()
            if not finished and parts:
                # Abandoned or broken half-way: the tokens were still spent.
                self._account(request.purpose, self._estimated(request, "".join(parts), ""))
        text = "".join(parts)
        if isinstance(final, ChatResponse):
            response = replace(final, text=text, cached=False)
        else:
            response = self._estimated(request, text, self.backend.model)
        response = replace(response, latency_ms=(self._clock() - started) * 1000.0)
        self._account(request.purpose, response)
        self._store(request, response)

    @staticmethod
    def _estimated(request: ChatRequest, text: str, model: str) -> ChatResponse:
        return ChatResponse(
            text=text,
            model=model,
            prompt_tokens=estimate_tokens(prompt_text(request.messages)),
            completion_tokens=estimate_tokens(text),
            tokens_estimated=True,
        )

    def _ledger(self, purpose: str) -> PurposeUsage:
        return self._usage.setdefault(purpose, PurposeUsage())

    def _account(self, purpose: str, response: ChatResponse) -> None:
        with self._lock:
            usage = self._ledger(purpose)
            usage.calls += 1
            if response.model:
                usage.models.add(response.model)
            if response.cached:
                usage.cached_calls += 1
                return
            usage.prompt_tokens += response.prompt_tokens
            usage.completion_tokens += response.completion_tokens
            usage.estimated_calls += int(response.tokens_estimated)
            usage.latency_ms += response.latency_ms

    def _count_retry(self, purpose: str) -> None:
        with self._lock:
            self._ledger(purpose).retries += 1

    def _count_failure(self, purpose: str) -> None:
        with self._lock:
            self._ledger(purpose).failures += 1


def _final(error: LLMError, attempts: int, request: ChatRequest) -> LLMError:
    """The error the caller sees: same class, and says when retrying did not help."""
    if attempts > 1:
        error = type(error)(f"{error.message} (gave up after {attempts} attempts)")
    return _keep(error, request=request)


def _keep(error: LLMError, **context: Any) -> LLMError:
    """Attach the caller's request and any partial answer, so a failure loses nothing."""
    for name, value in context.items():
        setattr(error, name, value)
    return error
