"""Word-level tokenizer and chat template of HERO's tiny VLMs, built with `tokenizers` from the world's words.

Design (see `build.py` for the model):
- One token per word or punctuation mark (`hero.world.text.WORD_RE`), case-sensitive, so "Yes" and "yes" are
  distinct tokens — exactly the situation `hero.scoring` meets in real VLM vocabularies.
- The decoder joins tokens with spaces and glues punctuation back ("square ." → "square."), so decoded text
  equals the world's text renderers' output.
- Special tokens: `<pad>` (id 0), `<unk>`, `<image>` (the LLaVA image placeholder), the chat role markers
  `<|system|>`, `<|user|>`, `<|assistant|>` and the end-of-turn token `<|end|>`, which is also EOS.
- Left padding, because generation in batches needs it (the answer position is then the last column).
"""

from __future__ import annotations

from collections.abc import Sequence

PAD, UNK, IMAGE, END = "<pad>", "<unk>", "<image>", "<|end|>"
ROLES = ("system", "user", "assistant")
SPECIAL_TOKENS = [PAD, UNK, IMAGE, END] + [f"<|{r}|>" for r in ROLES]
GLUED_PUNCTUATION = (".", ",", "?", "!", ":", ";")

# The template renders the user's text parts first and the image placeholder(s) after them, whatever the order of
# the parts: under causal attention the image positions can then attend to the question, which is what lets a
# from-scratch model learn question-dependent binding quickly (see benchmarks/sft_experiments.md). It accepts plain
# string content and TRL's list-of-parts content ({"type": "text", "text": ...}, {"type": "image"}).
CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{{- '<|' + message['role'] + '|>' -}}"
    "{%- if message['content'] is string -%}"
    "{{- message['content'] -}}"
    "{%- else -%}"
    "{%- set ns = namespace(texts=[], images=0) -%}"
    "{%- for part in message['content'] -%}"
    "{%- if part['type'] == 'text' -%}{%- set ns.texts = ns.texts + [part['text']] -%}"
    "{%- elif part['type'] == 'image' -%}{%- set ns.images = ns.images + 1 -%}{%- endif -%}"
    "{%- endfor -%}"
    "{{- ns.texts | join(' ') -}}"
    "{%- for _ in range(ns.images) -%}{{- ' <image>' -}}{%- endfor -%}"
    "{%- endif -%}"
    "{{- '<|end|>' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|assistant|>' -}}{%- endif -%}"
)


def build_tokenizer(words: Sequence[str], special: Sequence[str] = tuple(SPECIAL_TOKENS), pad: str = PAD,
                    eos: str = END, chat_template: str = CHAT_TEMPLATE, bos: str | None = None,
                    named: dict[str, str] | None = None):
    """A `PreTrainedTokenizerFast` over `special` + `words` (ids in that order; duplicates dropped). The defaults
    are HERO's LLaVA tokenizer; model families (`hero.model.families`) pass their own special tokens, pad / EOS
    markers and chat template. `special` must hold UNK, `pad` and `eos`; `named` gives special tokens attribute
    names a processor reads (Gemma3: {"boi_token": "<start_of_image>", ...} → tokenizer.boi_token)."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from hero.world.text import WORD_RE

    vocab: dict[str, int] = {}
    for w in list(special) + list(words):
        if w.strip() != w or not w:
            raise ValueError(f"tokenizer word {w!r} is empty or has surrounding spaces; pass bare words")
        vocab.setdefault(w, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Split(Regex(WORD_RE), behavior="isolated")])
    # WordPiece's decoder puts a space before every token but the first; the replacements glue punctuation back.
    tok.decoder = decoders.Sequence([decoders.WordPiece(prefix="##", cleanup=False)]
                                    + [decoders.Replace(f" {p}", p) for p in GLUED_PUNCTUATION])
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in special])
    extra = ({"bos_token": bos} if bos else {}) | ({"extra_special_tokens": dict(named)} if named else {})
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token=pad, unk_token=UNK, eos_token=eos,
        additional_special_tokens=[t for t in special if t not in (pad, UNK, eos, bos)],
        padding_side="left", model_input_names=["input_ids", "attention_mask"], **extra,
    )
    fast.chat_template = chat_template
    return fast
