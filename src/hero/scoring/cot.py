"""CoT path of the scorer: batched generation, then the token prefix that ends at the last 'Answer:'."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from transformers import LogitsProcessorList

from hero.scoring import core


def generate(model, enc: dict, cfg, eos_ids: Sequence[int], pad_id: int, seed: int,
             processors: Sequence = ()) -> list[list[int]]:
    """Batched generation from a left-padded encoding; returns each row's new tokens up to (not incl.) EOS.
    `processors`: extra logits processors (VCD's distorted branch)."""
    sample = cfg.temperature > 0
    # A sampled image placeholder token would not match the image features in the teacher-forced pass (TRL
    # suppresses it the same way).
    image_token = getattr(model.config, "image_token_id", None)
    suppress = {"suppress_tokens": [image_token]} if image_token is not None else {}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        out = model.generate(**enc, max_new_tokens=cfg.max_new_tokens, do_sample=sample,
                             temperature=cfg.temperature if sample else None, top_k=0 if sample else None,
                             top_p=1.0 if sample else None, eos_token_id=list(eos_ids), pad_token_id=pad_id,
                             **suppress, **({"logits_processor": LogitsProcessorList(processors)} if processors else {}))
    new = out[:, enc["input_ids"].shape[1]:]  # (B, N)
    is_end = torch.isin(new, torch.tensor(list(eos_ids) + [pad_id]))  # (B, N)
    has_end = is_end.any(-1)  # (B,)
    length = torch.where(has_end, is_end.int().argmax(-1), torch.full_like(has_end, new.shape[1], dtype=torch.long))
    return [row[:n].tolist() for row, n in zip(new, length.tolist())]


def answer_prefixes(gen_ids: Sequence[list[int]], tok, marker_ids: list[int]):
    """For each generation: the token prefix to score teacher-forced (up to and including the last 'Answer:'),
    the answer word after it, the reasoning text and the parse status.

    Not found ('Answer:' never said): the prefix is the whole generation followed by the marker's tokens, so the
    sample still gets finite probabilities and entropies at a forced answer position, but its answer is '' and
    its status 'unparseable' (scored wrong, counted by the caller). Found but followed by neither yes nor no: the
    probabilities are those at the real position, the answer '' and the status 'unparseable'.
    """
    def decode(ids: list[int]) -> str:
        return tok.decode(ids, skip_special_tokens=True)

    prefixes, answers, texts, status = [], [], [], []
    for ids in gen_ids:
        text = decode(ids)
        end, word = core.answer_after_marker(text)
        k = None if end is None else core.answer_token_position(ids, decode, end)
        if k is None:
            prefixes.append(list(ids) + list(marker_ids))
            answers.append("")
        else:
            prefixes.append(list(ids[:k]))
            answers.append(word)
        texts.append(text)
        status.append("ok" if answers[-1] else "unparseable")
    return prefixes, answers, texts, status
