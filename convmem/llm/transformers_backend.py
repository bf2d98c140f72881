"""A Hugging Face chat model run in-process with transformers: no server, works offline.

For machines with a GPU and no inference server, and for tests with a tiny local model.
The model is loaded on first use (loading is slow and many runs never call the LLM), on
CUDA in bfloat16 when a GPU is present, else on CPU in float32.  Only local files are
read: a name must already be in the Hugging Face cache, or be a directory.

There is no constrained decoding here, so a JSON schema is stated in a system message
and the client validates the answer.  ``timeout_s`` bounds generation time (the answer is
cut, as at ``max_tokens``); in a stream it also bounds the wait for each delta.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator
from typing import Any

from convmem.errors import ConfigError, LLMError, LLMModelNotFoundError, LLMUnavailableError
from convmem.llm.types import ChatRequest, ChatResponse, schema_instruction


class TransformersBackend:
    name = "transformers"

    def __init__(self, model: str, *, device: str = "auto", local_files_only: bool = True) -> None:
        if not model:
            raise ConfigError(
                "CONVMEM_LLM_MODEL is empty; set it to a local chat model directory or a cached name"
            )
        if device not in ("auto", "cpu", "cuda"):
            raise ConfigError(f"CONVMEM_DEVICE={device!r} is not one of auto, cpu, cuda")
        self.model = model
        self.device_preference = device
        self.local_files_only = local_files_only
        self._loaded: tuple[Any, Any, str] | None = None
        self._load_lock = threading.Lock()
        self._generate_lock = threading.Lock()  # one generation at a time per model

    # ---- ChatBackend --------------------------------------------------------------------
    def complete(self, request: ChatRequest, *, timeout_s: float | None = None) -> ChatResponse:
        model, tokenizer, _ = self._load()
        inputs, prompt_len = self._inputs(request)
        with self._generate_lock:
            output = self._generate(model, inputs, self._options(request, timeout_s))
        new_tokens = output[0, prompt_len:]
        text = tokenizer.decode(new_tokens, skip_special_tokens=True)
        for stop in request.stop:
            if stop in text:
                text = text[: text.index(stop)]
        return self._response(request, text, prompt_len, int(new_tokens.shape[0]))

    def stream(
        self, request: ChatRequest, *, timeout_s: float | None = None
    ) -> Generator[str, None, ChatResponse]:
        """Generation runs in a thread feeding a ``TextIteratorStreamer``; its result (or
        its exception) is collected when the deltas run out."""
        from transformers import TextIteratorStreamer

        model, tokenizer, _ = self._load()
        inputs, prompt_len = self._inputs(request)
        streamer = TextIteratorStreamer(
            tokenizer, skip_prompt=True, timeout=timeout_s, skip_special_tokens=True
        )
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                with self._generate_lock:
                    outcome["output"] = self._generate(
                        model, inputs, {**self._options(request, timeout_s), "streamer": streamer}
                    )
            except BaseException as exc:
                outcome["error"] = exc
                streamer.end()

        worker = threading.Thread(target=run, name="convmem-generate", daemon=True)
        worker.start()
        return self._deltas(request, streamer, worker, outcome, prompt_len, timeout_s)

    # ---- internals ----------------------------------------------------------------------
    def _deltas(
        self,
        request: ChatRequest,
        streamer: Any,
        worker: threading.Thread,
        outcome: dict[str, Any],
        prompt_len: int,
        timeout_s: float | None,
    ) -> Generator[str, None, ChatResponse]:
        parts: list[str] = []
        try:
            for delta in streamer:
                if delta:
                    parts.append(delta)
                    yield delta
        except queue.Empty:
            raise LLMUnavailableError(
                f"the local model {self.model} produced nothing for {timeout_s:g}s;"
                " raise CONVMEM_LLM_TIMEOUT_S or use a smaller model"
            ) from None
        worker.join()
        if "error" in outcome:
            raise outcome["error"]  # as loud as it would be from complete()
        completion = int(outcome["output"].shape[1]) - prompt_len
        return self._response(request, "".join(parts), prompt_len, completion)

    def _response(
        self, request: ChatRequest, text: str, prompt: int, completion: int
    ) -> ChatResponse:
        limit = request.max_tokens or 0
        return ChatResponse(
            text=text,
            model=self.model,
            prompt_tokens=prompt,
            completion_tokens=completion,
            finish_reason="length" if limit and completion >= limit else "stop",
        )

    def _load(self) -> tuple[Any, Any, str]:
        with self._load_lock:
            if self._loaded is None:
                self._loaded = self._load_model()
            return self._loaded

    def _load_model(self) -> tuple[Any, Any, str]:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        cuda = torch.cuda.is_available()
        if self.device_preference == "cuda" and not cuda:
            raise ConfigError("CONVMEM_DEVICE=cuda but no CUDA device is visible; use auto or cpu")
        device = "cuda" if cuda and self.device_preference != "cpu" else "cpu"
        dtype = torch.bfloat16 if device == "cuda" else torch.float32
        model: Any
        try:
            tokenizer = AutoTokenizer.from_pretrained(
                self.model, local_files_only=self.local_files_only
            )
            model = AutoModelForCausalLM.from_pretrained(
                self.model, dtype=dtype, local_files_only=self.local_files_only
            )
        except (OSError, ValueError) as exc:
            raise LLMModelNotFoundError(
                f"cannot load the chat model {self.model!r} from local files"
                f" ({type(exc).__name__}); give a model directory or download it into the"
                " Hugging Face cache first"
            ) from exc
        if not getattr(tokenizer, "chat_template", None):
            raise LLMModelNotFoundError(
                f"the model {self.model!r} has no chat template; use a chat (instruction-tuned) model"
            )
        model.to(device).eval()
        return model, tokenizer, device

    def _inputs(self, request: ChatRequest) -> tuple[Any, int]:
        _, tokenizer, device = self._load()
        messages = list(request.messages)
        if request.json_schema is not None:
            messages.insert(0, schema_instruction(request.json_schema))
        encoded = tokenizer.apply_chat_template(
            [{"role": m.role, "content": m.content} for m in messages],
            add_generation_prompt=True,
            return_tensors="pt",
            return_dict=True,
        )
        encoded = {name: tensor.to(device) for name, tensor in encoded.items()}
        return encoded, int(encoded["input_ids"].shape[1])

    def _options(self, request: ChatRequest, timeout_s: float | None) -> dict[str, Any]:
        _, tokenizer, _ = self._load()
        options: dict[str, Any] = {"max_new_tokens": request.max_tokens or 512}
        if request.temperature > 0:
            options.update(do_sample=True, temperature=request.temperature)
        else:
            options.update(do_sample=False)
        if timeout_s is not None:
            options["max_time"] = timeout_s
        if request.stop:
            options.update(stop_strings=list(request.stop), tokenizer=tokenizer)
        pad = (
            tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        )
        if pad is not None:
            options["pad_token_id"] = pad
        if request.seed is not None:
            options["_seed"] = request.seed
        return options

    @staticmethod
    def _generate(model: Any, inputs: dict[str, Any], options: dict[str, Any]) -> Any:
        import torch

        seed = options.pop("_seed", None)
        if seed is not None:
            torch.manual_seed(seed)  # generate() takes no generator; sampling uses the global one
        try:
            with torch.inference_mode():
                return model.generate(**inputs, **options)
        except torch.cuda.OutOfMemoryError as exc:
            raise LLMError(
                "the local model ran out of GPU memory; lower max_tokens or use a smaller model"
            ) from exc
