"""Text renderers of the world: questions, captions, chain-of-thought, and the vocabulary they use.

All text is lower-case-free of surprises: words are separated by single spaces and punctuation is attached
to the preceding word ("square."), exactly as a person would write it. `vocabulary()` lists every word form
these renderers can produce, for building a word-level tokenizer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

QUESTION_TEMPLATE = "Is there a {} in the image?"
CAPTION_PROMPT = "Describe this image."
ANSWER_SUFFIX = "Answer:"


def article(name: str) -> str:
    """'an' before a vowel sound (first letter a/e/i/o/u), else 'a'."""
    return "an" if name[:1].lower() in "aeiou" else "a"


def question(category: str) -> str:
    """POPE-style existence question. 'an' is written only before the object name (no "imange" bug)."""
    return f"Is there {article(category)} {category} in the image?"


def _join(phrases: Sequence[str]) -> str:
    if len(phrases) == 1:
        return phrases[0]
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def _phrases(categories: Iterable[str]) -> list[str]:
    return [f"{article(c)} {c}" for c in categories]


def caption(categories: Sequence[str]) -> str:
    """Ground-truth caption: 'There is a red circle and a blue square.' (objects in annotation order)."""
    if not categories:
        return "There is nothing."
    return f"There is {_join(_phrases(categories))}."


def cot(categories: Sequence[str], asked: str) -> str:
    """Short chain-of-thought for 'Is there a <asked>?', ending in 'Answer: yes.' or 'Answer: no.'.

    >>> cot(["red circle", "blue square"], "green star")
    'I see a red circle and a blue square. There is no green star. Answer: no.'
    """
    seen = f"I see {_join(_phrases(categories))}." if categories else "I see nothing."
    if asked in categories:
        return f"{seen} There is {article(asked)} {asked}. Answer: yes."
    return f"{seen} There is no {asked}. Answer: no."


def answer(categories: Sequence[str], asked: str) -> str:
    """Ground-truth yes/no label."""
    return "yes" if asked in categories else "no"


WORD_RE = r"[A-Za-z0-9]+|[^A-Za-z0-9\s]"
"""Regex a word-level tokenizer should split on: runs of letters/digits, and single punctuation marks."""


def vocabulary(colours: Sequence[str], shapes: Sequence[str]) -> list[str]:
    """Every token (per WORD_RE) the renderers above can emit, in first-seen order, plus Yes/No variants."""
    import re

    cats = [f"{c} {s}" for c in colours for s in shapes]
    texts = [question(c) for c in cats] + [caption(cats[:2]), caption(cats[:3]), cot(cats[:1], cats[-1]),
                                           cot([], cats[0]), cot(cats[:2], cats[0]), caption([]), CAPTION_PROMPT]
    texts += ["yes no Yes No a an", " ".join(cats)]
    out: list[str] = []
    seen: set[str] = set()
    for t in texts:
        for w in re.findall(WORD_RE, t):
            if w not in seen:
                seen.add(w)
                out.append(w)
    return out
