"""Pure text helpers: the answer part of a generation, and the yes/no forms each benchmark's scorer expects.

* Answer-style models: the answer is the generated text itself.
* CoT-style models (`hero_style: "cot"` in config.json, written by `hero train sft`): the answer is the text after
  the LAST "Answer:" (any case); without the marker the whole text stays the answer (scored as the official parsers
  read it). The full generation is kept beside it.
* AMBER compares discriminative responses with exactly "Yes" / "No": the parsed first word (yes/no, any case,
  punctuation ignored — `hero.scoring.core.parse_answer`) is mapped to "Yes"/"No"; an answer that is neither stays
  as generated, so the official comparison counts it wrong.
"""

from __future__ import annotations

from hero.scoring import core


def final_answer(text: str, style: str) -> str:
    """'I see a red circle. Answer: yes.' with style 'cot' → 'yes.'; answer style (or no marker) → the text."""
    if style == "cot":
        end, _ = core.answer_after_marker(text)
        if end is not None:
            return text[end:].strip()
    return text


def yes_no(text: str, style: str) -> str:
    """'yes' / 'no' / '' (neither) from the answer part's first word."""
    return core.parse_answer(final_answer(text, style))


def amber_response(text: str, style: str, generative: bool) -> str:
    """AMBER response: captions as generated; yes/no answers as exactly 'Yes' / 'No' (else the answer text)."""
    if generative:
        return text
    return {"yes": "Yes", "no": "No"}.get(yes_no(text, style), final_answer(text, style))
