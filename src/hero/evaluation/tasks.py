"""`hero eval pope | amber | chair`: requests from the benchmark files → generations (cached, resumable) → the
benchmark's own output format → the official-exact scorer → scores.json.

Files under RUN (= --out): generations.jsonl + manifest.json (see `runner`), and
* RUN/pope/answers_<split>.jsonl — LLaVA format {"question_id", "prompt", "text", "category"} (+ "reasoning" for CoT
  models), re-scorable with `hero score pope --labels <split file> --answers ...`; RUN/pope/scores.json;
* RUN/amber/responses.json — [{"id", "response"}] as the official inference.py reads it; RUN/amber/scores.json;
* RUN/chair/captions.json — the official caption file {"overall", "imgToEval"}; RUN/chair/scores.json.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from hero.evaluation.answers import amber_response, final_answer
from hero.evaluation.config import AmberEvalConfig, ChairEvalConfig, EvalConfig, PopeEvalConfig
from hero.evaluation.generate import Request, load_generator
from hero.evaluation.runner import make_manifest, run_generations
from hero.io import ImageFolder, InputError, guard_malformed, read_json, write_json_atomic, write_jsonl_atomic
from hero.model.load import model_style


def generate_for(cfg: EvalConfig, requests: Sequence[Request], progress: bool = False, label: str = "generating",
                 make_generator: Callable[[], object] | None = None) -> dict:
    """Generations for `requests` through the run folder's cache; {(image, prompt): row}. `make_generator`
    (default: load the model of `cfg`) is called only if something is left to generate. Every image must lie
    under the image folder (the benchmark loaders check it with file and line first) and exist."""
    images = cfg.image_folder()
    missing = sorted({r.image for r in requests if not images.file(r.image, f"{label} request").is_file()})
    if missing:
        raise InputError(f"{len(missing)} image(s) not found under {images.path} ({images.flag}), e.g. "
                         f"{', '.join(missing[:5])}")
    manifest = make_manifest(cfg.model, cfg.images, cfg.decoding)
    make = make_generator or (lambda: load_generator(cfg.model, cfg.decoding, cfg.images))
    return run_generations(cfg.out, requests, manifest, make, cfg.decoding.batch_size, progress, label)


# -- POPE ---------------------------------------------------------------------------------------------------------
def load_pope_splits(paths: Sequence[str], images: ImageFolder, limit: int | None) -> dict[str, list[dict]]:
    """{split name: validated questions (first `limit`)}; a missing image or a repeated split name → InputError."""
    from hero.official.pope_metrics import split_name_from_path
    from hero.trap.questions import load_questions

    splits: dict[str, list[dict]] = {}
    for p in paths:
        name = split_name_from_path(str(p))
        if name in splits:
            raise InputError(f"{p}: a second question file for split {name!r}; give one file per split")
        ok, missing = load_questions(p, images)
        if missing:
            raise InputError(f"{p}: {len(missing)} question(s) name images missing under {images.path} "
                             f"({images.flag}), e.g. "
                             f"{', '.join(sorted({q['image'] for q in missing})[:5])}")
        splits[name] = ok[:limit] if limit else ok
    return splits


def pope_answer_rows(questions: Sequence[dict], gens: dict, split: str, style: str) -> list[dict]:
    """LLaVA-format answer rows; CoT models answer with the text after 'Answer:' and keep the reasoning."""
    rows = []
    for q in questions:
        text = gens[(q["image"], q["text"])]["text"]
        row = {"question_id": q["id"], "prompt": q["text"], "text": final_answer(text, style), "category": split}
        if style == "cot":
            row["reasoning"] = text
        rows.append(row)
    return rows


def score_pope_splits(splits: dict[str, list[dict]], answers: dict[str, list[dict]], parse: str) -> dict:
    """POPE metrics: one split → its metrics; several → {"splits", "mean", ...} (split_field 'category')."""
    from hero.official.pope_metrics import evaluate_pope

    labels = {s: [{"question_id": q["id"], "label": q["label"]} for q in qs] for s, qs in splits.items()}
    if len(splits) == 1:
        (name, lab), = labels.items()
        metrics = guard_malformed(evaluate_pope, lab, answers[name], parse)[0]
        return {"splits": {name: metrics}, "mean": {k: metrics[k] for k in
                ("accuracy", "precision", "recall", "f1", "yes_ratio")}, "n": metrics["n"], "parse": parse}
    all_answers = [row for rows in answers.values() for row in rows]
    return guard_malformed(evaluate_pope, labels, all_answers, parse, split_field="category")[0]


def run_pope(cfg: PopeEvalConfig, progress: bool = False, make_generator=None) -> dict:
    """Answer every POPE question, write answers_<split>.jsonl and scores.json; return the scores."""
    splits = load_pope_splits(cfg.questions, cfg.image_folder(), cfg.limit)
    requests = [Request(q["image"], q["text"]) for qs in splits.values() for q in qs]
    gens = generate_for(cfg, requests, progress, "POPE", make_generator)
    style, out = model_style(cfg.model), Path(cfg.out) / "pope"
    answers = {s: pope_answer_rows(qs, gens, s, style) for s, qs in splits.items()}
    for s, rows in answers.items():
        write_jsonl_atomic(out / f"answers_{s}.jsonl", rows)
    scores = {"benchmark": "pope", **score_pope_splits(splits, answers, cfg.pope.parse), "style": style,
              "decoding": cfg.decoding.identity(), "files": {s: str(out / f"answers_{s}.jsonl") for s in answers}}
    write_json_atomic(out / "scores.json", scores)
    return scores


# -- AMBER --------------------------------------------------------------------------------------------------------
def amber_selected(queries: list, annotations: list[dict], eval_type: str, where: str,
                   images: ImageFolder | None = None) -> list[dict]:
    """The queries the evaluation type scores (a: all, g: generative, d*: that discriminative group); with `images`,
    each query's image must lie under that folder."""
    if not isinstance(queries, list) or not queries:
        raise InputError(f"{where}: expected a non-empty JSON list of {{'id', 'image', 'query'}}")
    out = []
    for i, q in enumerate(queries, start=1):
        if not isinstance(q, dict) or not all(k in q for k in ("id", "image", "query")):
            raise InputError(f"{where}: item {i} needs 'id', 'image' and 'query'")
        if not isinstance(q["id"], int) or not 1 <= q["id"] <= len(annotations):
            raise InputError(f"{where}: item {i}: id {q['id']!r} is not in the annotation range 1..{len(annotations)}")
        if images is not None:
            images.file(q["image"], f"{where}: item {i}", "image")
        kind = annotations[q["id"] - 1]["type"]
        keep = (eval_type == "a" or (eval_type == "g" and kind == "generative")
                or (eval_type.startswith("d") and kind != "generative" and _amber_group(kind, eval_type)))
        if keep:
            out.append(q)
    if not out:
        raise InputError(f"{where}: no query of evaluation type {eval_type!r}")
    return out


def _amber_group(kind: str, eval_type: str) -> bool:
    if eval_type == "d":
        return True
    if eval_type == "de":
        return kind == "discriminative-hallucination"
    if eval_type == "da":
        return kind.startswith("discriminative-attribute")
    return kind in ("relation", "discriminative-relation")


def limit_per_type(queries: list[dict], annotations: list[dict], limit: int | None) -> list[dict]:
    """The first `limit` queries of each annotation type, in query order (all with None)."""
    if not limit:
        return queries
    seen: dict[str, int] = {}
    out = []
    for q in queries:
        kind = annotations[q["id"] - 1]["type"]
        seen[kind] = seen.get(kind, 0) + 1
        if seen[kind] <= limit:
            out.append(q)
    return out


def run_amber(cfg: AmberEvalConfig, progress: bool = False, make_generator=None) -> dict:
    """Answer the AMBER queries of the evaluation type, write responses.json and scores.json; return the scores."""
    from hero.official.amber import evaluate_amber

    a = cfg.amber
    data = a.load_data()
    queries = amber_selected(read_json(cfg.queries), data.annotations, a.eval_type, cfg.queries, cfg.image_folder())
    queries = limit_per_type(queries, data.annotations, cfg.limit)
    if a.eval_type in ("a", "g"):  # generative metrics need the spaCy model: fail before generating, not after
        from hero.official.amber_nlp import select_tools
        from hero.official.text import load_spacy

        load_spacy(select_tools(a.similarity_model).similarity_model)  # None → the model scoring will use
    gens = generate_for(cfg, [Request(q["image"], q["query"]) for q in queries], progress, "AMBER", make_generator)
    style, out = model_style(cfg.model), Path(cfg.out) / "amber"
    responses = [{"id": q["id"], "response": amber_response(
        gens[(q["image"], q["query"])]["text"], style, data.annotations[q["id"] - 1]["type"] == "generative")}
        for q in queries]
    write_json_atomic(out / "responses.json", responses)
    metrics = guard_malformed(evaluate_amber, responses, data, a.eval_type, a.similarity_model, a.similarity_threshold)[0]
    scores = {"benchmark": "amber", **metrics, "style": style, "decoding": cfg.decoding.identity(),
              "files": {"responses": str(out / "responses.json")}}
    write_json_atomic(out / "scores.json", scores)
    return scores


# -- CHAIR --------------------------------------------------------------------------------------------------------
def coco_images(instances: Sequence[dict], images: ImageFolder | str, where: str) -> tuple[list[dict], int]:
    """(COCO images {id, file_name} of the instances files found under `images`, in file order; count missing).
    A file_name outside the folder → InputError (`ImageFolder.file`); none found → InputError."""
    images = images if isinstance(images, ImageFolder) else ImageFolder(images)
    by_id: dict = {}
    for coco in instances:
        if not isinstance(coco, dict) or not isinstance(coco.get("images"), list):
            raise InputError(f"{where}: an instances file lacks its 'images' list")
        for im in coco["images"]:
            if not isinstance(im, dict) or "id" not in im or "file_name" not in im:
                raise InputError(f"{where}: an image entry lacks 'id' or 'file_name'")
            by_id.setdefault(im["id"], im)
    found = [im for im in by_id.values()
             if images.file(im["file_name"], f"{where}: image id {im['id']!r}", "file_name").is_file()]
    if not found:
        raise InputError(f"none of the {len(by_id)} images of {where} is under {images.path} ({images.flag})")
    return found, len(by_id) - len(found)


def run_chair(cfg: ChairEvalConfig, progress: bool = False, make_generator=None) -> dict:
    """Caption the COCO images found under --images, write captions.json and scores.json; return the scores."""
    from hero.official.chair import evaluate_chair_files, load_coco_dir

    instances, coco_caps = load_coco_dir(cfg.chair.coco)
    images, n_missing = coco_images(instances, cfg.image_folder(), f"{cfg.chair.coco}/instances_*.json")
    images = images[:cfg.limit] if cfg.limit else images
    syn = cfg.chair.load_synonyms()  # read before generating: a bad synonym file fails before the model loads
    gens = generate_for(cfg, [Request(im["file_name"], cfg.prompt) for im in images], progress, "CHAIR", make_generator)
    out = Path(cfg.out) / "chair"
    caps = {"overall": {}, "imgToEval": {str(im["id"]): {"image_id": im["id"],
                                                         "caption": gens[(im["file_name"], cfg.prompt)]["text"]}
                                         for im in images}}
    write_json_atomic(out / "captions.json", caps)
    metrics = guard_malformed(evaluate_chair_files, caps, instances, coco_caps, syn)[0]
    scores = {"benchmark": "chair", **metrics, "synonym_bigrams": cfg.chair.synonym_bigrams, "prompt": cfg.prompt,
              "n_images_not_found": n_missing, "decoding": cfg.decoding.identity(),
              "files": {"captions": str(out / "captions.json")}}
    write_json_atomic(out / "scores.json", scores)
    return scores
