"""`hero eval throne`: THRONE's three steps (amazon-science/THRONE; spec ../shared/benchmarks/specs/throne.md).

1. Generation: "Describe this image in detail." per image of the COCO-format file → RUN/throne/responses/
   responses.json = {"prompts": [prompt], "responses": [[0, image_id, text], ...]}.
2. Abstractive QA by pluggable judges (`Judge`): per response, M = 3 question formats × C categories (id order),
   answers at index k·C + c → RUN/throne/evaluations/combined/evaluations_<judge>.json = {image_id: [M·C answers]}.
   * `Seq2SeqJudge(path)` — any `AutoModelForSeq2SeqLM` folder (FLAN-T5 base/large/xl for real users): the official
     prompt "Text: {response[:1024]}\\n\\nRead the text and answer the question.\\n\\n{question}", greedy,
     max_length 16.
   * `RuleJudge(categories)` — for the embedded world, where no language model judge exists: a category is "yes"
     when the response names it (its words in order, the last one optionally plural: "red circle(s)") and the word
     before the name (skipping a/an/the/any) is not a negation (no, not, without, nor, never); the same answer for
     every format.
3. Scoring: `hero.official.throne.evaluate_throne`, micro and class-wise → RUN/throne/scores.json.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from hero.official.throne import default_thresholds
from hero.evaluation.config import ThroneEvalConfig
from hero.io import InputError, read_json, write_json_atomic

N_FORMATS = 3
PLURAL_NAMES = ("skis", "scissors")
RENAMED = {"tie": "necktie"}
NEGATIONS = frozenset({"no", "not", "without", "nor", "never"})
SKIPPED = frozenset({"a", "an", "the", "any"})


def throne_questions(name: str) -> list[str]:
    """THRONE's first three question formats for a category ('tie' is asked as 'necktie'; 'an' before a vowel)."""
    n = RENAMED.get(name, name)
    if n in PLURAL_NAMES:
        return [f"Please answer yes or no. Are there {n} in this image?", f"Are there {n} in this image?",
                f"Please answer yes or no. Does the text imply {n} are in the image?"]
    a = "an" if n[:1].lower() in "aeiou" else "a"
    return [f"Please answer yes or no. Is there {a} {n} in this image?", f"Is there {a} {n} in this image?",
            f"Please answer yes or no. Does the text imply {a} {n} is in the image?"]


def judge_prompt(response: str, question: str) -> str:
    """The official abstractive-QA prompt (the response cut to 1024 characters)."""
    return f"Text: {response[:1024]}\n\nRead the text and answer the question.\n\n{question}"


class Judge(Protocol):
    """THRONE's evaluator step: `name` labels its evaluation file; `evaluate` returns, per response, the M·C answers
    (index k·C + c for question format k and category c)."""

    name: str

    def evaluate(self, responses: Sequence[str], categories: Sequence[str]) -> list[list[str]]: ...


def mentioned(text: str, categories: Sequence[str]) -> set[str]:
    """Categories a text names, not negated (see the module docstring).

    >>> sorted(mentioned("There is a red circle and no blue square. Two green circles.",
    ...                  ["red circle", "blue square", "green circle"]))
    ['green circle', 'red circle']
    """
    words = re.findall(r"[a-z]+", text.lower())
    found = set()
    for cat in categories:
        parts = cat.lower().split()
        n = len(parts)
        for i in range(len(words) - n + 1):
            last = words[i + n - 1]
            if words[i:i + n - 1] != parts[:-1] or last not in (parts[-1], parts[-1] + "s", parts[-1] + "es"):
                continue
            j = i - 1
            while j >= 0 and words[j] in SKIPPED:
                j -= 1
            if j < 0 or words[j] not in NEGATIONS:
                found.add(cat)
                break
    return found


class RuleJudge:
    """Rule-based judge over category names (the embedded world's vocabulary)."""

    name = "rule"

    def evaluate(self, responses: Sequence[str], categories: Sequence[str]) -> list[list[str]]:
        out = []
        for text in responses:
            seen = mentioned(text, categories)
            out.append(["yes" if c in seen else "no" for _ in range(N_FORMATS) for c in categories])
        return out


class Seq2SeqJudge:
    """A seq2seq evaluator LM (FLAN-T5) loaded from a folder; greedy, max_length 16, batched."""

    def __init__(self, path: str | Path, batch_size: int = 32, max_length: int = 16, device: str = "cpu"):
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        self.path, self.batch_size, self.max_length = Path(path), batch_size, max_length
        self.name = self.path.name
        try:
            self.tok = AutoTokenizer.from_pretrained(self.path)
            self.model = AutoModelForSeq2SeqLM.from_pretrained(self.path).eval().to(device)
        except Exception as e:  # noqa: BLE001 - transformers raises many types for a bad folder
            raise InputError(f"{self.path}: not a seq2seq judge model ({type(e).__name__}: {e}); pass a FLAN-T5 "
                             "folder (AutoModelForSeq2SeqLM + tokenizer) or 'rule'") from None

    def _answer(self, prompts: list[str]) -> list[str]:
        import torch

        enc = self.tok(prompts, return_tensors="pt", padding=True, truncation=True).to(self.model.device)
        with torch.inference_mode():
            out = self.model.generate(**enc, max_length=self.max_length, do_sample=False, num_beams=1)
        return self.tok.batch_decode(out, skip_special_tokens=True)

    def evaluate(self, responses: Sequence[str], categories: Sequence[str]) -> list[list[str]]:
        questions = [throne_questions(c) for c in categories]
        prompts = [judge_prompt(r, questions[c][k]) for r in responses for k in range(N_FORMATS)
                   for c in range(len(categories))]
        answers: list[str] = []
        for s in range(0, len(prompts), self.batch_size):
            answers += self._answer(prompts[s: s + self.batch_size])
        per = N_FORMATS * len(categories)
        return [answers[i * per: (i + 1) * per] for i in range(len(responses))]


def make_judge(spec: str, batch_size: int = 32, device: str = "cpu") -> Judge:
    """'rule' → RuleJudge; a folder → Seq2SeqJudge (on `device`)."""
    return RuleJudge() if spec == "rule" else Seq2SeqJudge(spec, batch_size, device=device)


def _evaluations(cfg: ThroneEvalConfig, ids: list, texts: list[str], cats: list[str], folder: Path,
                 reuse: bool) -> list[dict]:
    """One evaluation dict per judge; with `reuse` (the responses did not change) a judge's file that already covers
    these images is read back instead of judging again."""
    evals, names = [], set()
    for spec in cfg.judges:
        name = "rule" if spec == "rule" else Path(spec).name
        if name in names:
            raise InputError(f"--judge: two judges named {name!r}; each judge writes evaluations_<name>.json")
        names.add(name)
        path = folder / f"evaluations_{name}.json"
        if reuse and path.exists():
            old = read_json(path)
            if isinstance(old, dict) and set(old) == {str(i) for i in ids}:
                evals.append(old)
                continue
        answers = make_judge(spec, cfg.judge_batch_size, cfg.decoding.device).evaluate(texts, cats)
        ev = {str(i): a for i, a in zip(ids, answers)}
        write_json_atomic(path, ev, indent=None)
        evals.append(ev)
    return evals


def run_throne(cfg: ThroneEvalConfig, progress: bool = False, make_generator=None) -> dict:
    """Describe every image, judge the descriptions, score THRONE (micro and class); return the scores."""
    from hero.official.throne import STRATEGIES, category_names, evaluate_throne
    from hero.evaluation.generate import Request
    from hero.evaluation.tasks import coco_images, generate_for
    from hero.io import guard_malformed

    coco = read_json(cfg.throne.coco_annotations)
    if not isinstance(coco, dict):
        raise InputError(f"{cfg.throne.coco_annotations}: expected a COCO-format JSON object")
    cats = guard_malformed(category_names, coco)
    images, n_missing = coco_images([coco], cfg.image_folder(), cfg.throne.coco_annotations)
    images = images[:cfg.limit] if cfg.limit else images
    gens = generate_for(cfg, [Request(im["file_name"], cfg.prompt) for im in images], progress, "THRONE",
                        make_generator)
    out = Path(cfg.out) / "throne"
    texts = [gens[(im["file_name"], cfg.prompt)]["text"] for im in images]
    ids = [im["id"] for im in images]
    responses = {"prompts": [cfg.prompt], "responses": [[0, i, t] for i, t in zip(ids, texts)]}
    resp_path = out / "responses" / "responses.json"
    same = resp_path.exists() and read_json(resp_path) == responses
    write_json_atomic(resp_path, responses)
    evals = _evaluations(cfg, ids, texts, cats, out / "evaluations" / "combined", same)
    taus = cfg.throne.thresholds or default_thresholds(N_FORMATS * len(evals))
    scores = {"benchmark": "throne", "judges": list(cfg.judges), "prompt": cfg.prompt,
              "n_images_not_found": n_missing, "decoding": cfg.decoding.identity()}
    for strategy in STRATEGIES:
        scores[strategy] = guard_malformed(evaluate_throne, coco, evals, taus, strategy)[0]
    scores["files"] = {"responses": str(out / "responses" / "responses.json"),
                       "evaluations": str(out / "evaluations" / "combined")}
    write_json_atomic(out / "scores.json", scores)
    return scores
