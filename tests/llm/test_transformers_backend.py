"""The in-process transformers backend on a tiny randomly initialised chat model.

The model is built here (a two-layer Llama with a word-level tokenizer and a chat
template), so the test runs offline in seconds and exercises the real loading, chat
templating, generation and streaming code; its answers are gibberish by design.
"""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from tokenizers import Tokenizer, models, pre_tokenizers  # noqa: E402

from convmem.errors import LLMModelNotFoundError  # noqa: E402
from convmem.llm import ChatRequest, LLMClient  # noqa: E402
from convmem.llm.transformers_backend import TransformersBackend  # noqa: E402

SPECIALS = ["<unk>", "<pad>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>"]
VOCABULARY = (
    "we talked about pottery in july and the trip to lisbon with my sister on a tuesday "
    "morning evening session what did you say i think it was fun hello yes no maybe later "
    "music books garden cooking running coffee work home friends family weekend holiday"
)
WORDS = VOCABULARY.split()
TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} </s> {% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tiny-chat-model")
    vocab = {token: i for i, token in enumerate(SPECIALS + sorted(set(WORDS)))}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=core,
        unk_token="<unk>",
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        additional_special_tokens=SPECIALS[4:],
    )
    tokenizer.chat_template = TEMPLATE
    tokenizer.save_pretrained(directory)
    config = transformers.LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=256,
        pad_token_id=vocab["<pad>"],
        bos_token_id=vocab["<s>"],
        eos_token_id=vocab["</s>"],
    )
    torch.manual_seed(0)
    transformers.LlamaForCausalLM(config).save_pretrained(directory)
    return directory


def test_complete_produces_text_and_token_counts(tiny_model: Path) -> None:
    backend = TransformersBackend(str(tiny_model), device="cpu")
    client = LLMClient(backend)
    request = ChatRequest.of("what did we talk about in july", system="be brief", max_tokens=12)
    response = client.complete(request)
    assert response.text.strip()
    assert set(response.text.split()) <= set(WORDS) | {"<unk>"}
    assert 0 < response.completion_tokens <= 12
    # system + user turns through the chat template: markers, words and separators
    assert response.prompt_tokens == 1 + 2 + 1 + 1 + 7 + 1 + 1
    assert response.model == str(tiny_model) and not response.tokens_estimated
    again = client.complete(request)
    assert again.text == response.text  # greedy decoding at temperature 0 is repeatable


def test_stream_matches_complete_and_counts_tokens(tiny_model: Path) -> None:
    backend = TransformersBackend(str(tiny_model), device="cpu")
    client = LLMClient(backend)
    request = ChatRequest.of("hello what did you say", max_tokens=10, purpose="answer")
    whole = backend.complete(request)
    deltas = list(client.stream(request))
    assert len(deltas) >= 1
    assert "".join(deltas).strip() == whole.text.strip()
    usage = client.usage()["answer"]
    assert usage.completion_tokens == whole.completion_tokens
    assert usage.prompt_tokens == whole.prompt_tokens and usage.estimated_calls == 0


def test_missing_model_says_how_to_get_one(tmp_path: Path) -> None:
    backend = TransformersBackend(str(tmp_path / "no-such-model"), device="cpu")
    with pytest.raises(LLMModelNotFoundError, match="local files"):
        backend.complete(ChatRequest.of("hi", max_tokens=2))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_runs_on_cuda_in_bfloat16(tiny_model: Path) -> None:
    backend = TransformersBackend(str(tiny_model))
    response = LLMClient(backend).complete(ChatRequest.of("hello", max_tokens=6))
    model, _, device = backend._load()
    assert device == "cuda" and model.dtype == torch.bfloat16
    assert next(model.parameters()).is_cuda
    assert response.completion_tokens > 0
