"""CHAIR scoring, identical to LisaAnne/Hallucination ``utils/chair.py`` except for its NLP tools.

Spec: ``../shared/benchmarks/specs/chair.md``. Per caption: lower-case, tokenize, singularise every token, merge
the bigrams of ``DOUBLE_WORDS`` left to right (plus, opt-in, the synonym file's two-word entries), drop every "seat" when "toilet" is present, keep the words of the
synonym vocabulary and map each to its node word (a word listed on several lines maps to the last line). A
mention is hallucinated when its node word is not among the image's ground-truth objects (COCO instance
categories ∪ objects mentioned in its reference captions, found by the same procedure).

CHAIR_i = hallucinated mentions / mentions; CHAIR_s = captions with a hallucination / captions. ``CHAIRs`` and
``CHAIRi`` are ×100 with one decimal, as ``print_metrics`` prints them (``%0.01f``); ``chair_s``/``chair_i`` are
unrounded.

Deviations (also in docs/benchmarks.md):

1. Tokens: `hero.official.text.word_tokenize` (NLTK's Treebank word rules, untrained punkt sentences).
2. Singularisation: ``inflect.singular_noun`` (the word itself where inflect says it is already singular) in
   place of ``pattern.en.singularize`` (pattern 3.6 does not install on current Python), with the forms where
   the two disagree on COCO words pinned to pattern's output (`PATTERN_OVERRIDES`). inflect already reproduces
   pattern's "bus" -> "bu" (a singular "bus" is never counted, "buses" is), "people" -> "person",
   "children" -> "child", "skis" -> "ski", "sheep"/"scissors" unchanged. Words outside the COCO vocabulary
   can still singularise differently, which does not change any count.
3. A zero denominator (no captions with COCO words) gives 0.0 and a warning where the official code raises.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

from hero.official.text import word_tokenize
from hero.official.validate import InputError, Located, describe, need, reject_duplicate_ids, where

# pattern 3.6 singularize output where inflect.singular_noun differs, over the COCO synonym vocabulary's
# singular and plural forms (the spec's 'glass' -> 'glas', 'ties' -> 'ty', 'canoes' -> 'cano', ...).
PATTERN_OVERRIDES = {
    "glass": "glas", "ties": "ty", "canoes": "cano", "collies": "collies", "doggies": "doggies",
    "magpies": "magpy", "mouses": "mouse", "thieves": "thieve",
}

_COCO_DOUBLE_WORDS = [
    "motor bike", "motor cycle", "air plane", "traffic light", "street light", "traffic signal", "stop light",
    "fire hydrant", "stop sign", "parking meter", "suit case", "sports ball", "baseball bat", "baseball glove",
    "tennis racket", "wine glass", "hot dog", "cell phone", "mobile phone", "teddy bear", "hair drier",
    "potted plant", "laptop computer", "stove top oven", "home plate", "train track",
]
_ANIMAL_WORDS = ["bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "animal",
                 "cub"]


def _double_word_dict() -> dict[str, str]:
    table = {w: w for w in _COCO_DOUBLE_WORDS}
    for animal in _ANIMAL_WORDS:
        table[f"baby {animal}"] = animal
        table[f"adult {animal}"] = animal
    for vehicle in ("jet", "train"):
        table[f"passenger {vehicle}"] = vehicle
    table["bow tie"] = "tie"
    table["toilet seat"] = "toilet"
    table["wine glas"] = "wine glass"
    return table


DOUBLE_WORDS = _double_word_dict()


@functools.lru_cache(maxsize=1)
def _inflect_engine():
    import inflect

    return inflect.engine()


@functools.lru_cache(maxsize=65536)
def singularize(word: str) -> str:
    """pattern-compatible singular: 'buses' -> 'bus', 'bus' -> 'bu', 'people' -> 'person', 'ties' -> 'ty'."""
    if word in PATTERN_OVERRIDES:
        return PATTERN_OVERRIDES[word]
    try:
        out = _inflect_engine().singular_noun(word)
    except Exception:  # inflect rejects some tokens (type checks); pattern would return them unchanged
        return word
    return out if out else word


class Synonyms:
    """``synonyms.txt``: one COCO category per line, ``', '``-separated, the first item is the node word.

    ``synonym_bigrams=True`` (opt-in, not official) also merges the file's two-word entries like the official
    double words (`synonym_bigram_table`), so vocabularies of multi-word categories ("red circle, red circles")
    are found; default False keeps the official fixed table (`DOUBLE_WORDS`) only.
    """

    def __init__(self, lines: Iterable[str], synonym_bigrams: bool = False, source: str = "synonyms.txt"):
        self.source = source
        """Where the table was read (for messages)."""
        self.vocab: set[str] = set()
        self.node: dict[str, str] = {}
        for line in lines:
            items = line.strip().split(", ")
            self.vocab.update(items)
            for item in items:
                self.node[item] = items[0]
        self.double_words = ({**synonym_bigram_table(self.node), **DOUBLE_WORDS} if synonym_bigrams
                             else DOUBLE_WORDS)

    @classmethod
    def from_text(cls, text: str, synonym_bigrams: bool = False, source: str = "synonyms.txt") -> "Synonyms":
        return cls(text.splitlines(), synonym_bigrams, source)


def synonym_bigram_table(entries: Iterable[str]) -> dict[str, str]:
    """Bigram table for the two-word synonym entries: singularised, lower-cased pair -> the entry itself (first
    entry wins), as the official table maps "motor bike" -> "motor bike" and "wine glas" -> "wine glass".

    >>> synonym_bigram_table(["red circle", "red circles", "dog", "motor  bike"])
    {'red circle': 'red circle'}
    """
    table: dict[str, str] = {}
    for entry in entries:
        words = entry.split(" ")
        if len(words) == 2 and all(words):
            table.setdefault(" ".join(singularize(w) for w in entry.lower().split(" ")), entry)
    return table


def caption_to_words(caption: str, synonyms: Synonyms) -> tuple[list[str], list[str], list[int], list[str]]:
    """(COCO words, their node words, their indices in the merged list, the merged word list)."""
    words = [singularize(w) for w in word_tokenize(caption.lower())]
    merged: list[str] = []
    i = 0
    while i < len(words):
        pair = " ".join(words[i:i + 2])
        if pair in synonyms.double_words:
            merged.append(synonyms.double_words[pair])
            i += 2
        else:
            merged.append(words[i])
            i += 1
    if "toilet" in merged and "seat" in merged:
        merged = [w for w in merged if w != "seat"]
    idxs = [i for i, w in enumerate(merged) if w in synonyms.vocab]
    words_out = [merged[i] for i in idxs]
    return words_out, [synonyms.node[w] for w in words_out], idxs, merged


def ground_truth_objects(image_ids: Iterable[int], instances: Sequence[dict], captions: Sequence[dict],
                         synonyms: Synonyms) -> dict[int, set[str]]:
    """Image id -> node words of its instance categories ∪ objects named in its reference captions.

    `instances`: COCO instances files (dicts with 'annotations' and 'categories'); `captions`: COCO captions files.
    """
    objects: dict[int, set[str]] = {i: set() for i in image_ids}
    for f, coco in enumerate(instances, start=1):
        names = {c["id"]: c["name"] for c in coco.get("categories", [])}
        for ann in coco.get("annotations", []):
            if ann["image_id"] in objects:
                name = names.get(ann["category_id"])
                if name not in synonyms.node:
                    raise InputError(f"{where(coco, f'instances file {f}')}: COCO category {name!r} (id "
                                     f"{ann['category_id']}) is not in the synonyms file {synonyms.source}")
                objects[ann["image_id"]].add(synonyms.node[name])
    for coco in captions:
        for ann in coco.get("annotations", []):
            if ann["image_id"] in objects:
                objects[ann["image_id"]].update(caption_to_words(ann["caption"], synonyms)[1])
    return objects


def _one_decimal(x: float) -> float:
    """x·100 printed with ``%0.01f`` and read back: 0.123456 -> 12.3."""
    return float("%0.01f" % (x * 100))


def evaluate_chair(captions: Sequence[dict], gt_objects: dict[int, set[str]],
                   synonyms: Synonyms) -> tuple[dict, list[dict]]:
    """Score generated captions ([{"image_id", "caption"}]) against per-image ground truth; (metrics, details)."""
    if not captions:
        raise ValueError("the caption file holds no captions")
    n_caps = n_hal_caps = n_words = n_hal_words = 0
    details = []
    for cap in captions:
        if cap["image_id"] not in gt_objects:
            raise ValueError(f"image_id {cap['image_id']!r}: no ground-truth entry was built for it")
        words, nodes, idxs, merged = caption_to_words(cap["caption"], synonyms)
        gt = gt_objects[cap["image_id"]]
        hallucinated = [(w, n) for w, n in zip(words, nodes) if n not in gt]
        n_words += len(nodes)
        n_hal_words += len(hallucinated)
        n_caps += 1
        n_hal_caps += bool(hallucinated)
        details.append({
            "image_id": cap["image_id"], "caption": cap["caption"],
            "mscoco_hallucinated_words": hallucinated, "mscoco_gt_words": sorted(gt),
            "mscoco_generated_words": nodes, "words": merged,
            "hallucination_idxs": [i for i, n in zip(idxs, nodes) if n not in gt],
            "metrics": {"CHAIRs": int(bool(hallucinated)),
                        "CHAIRi": len(hallucinated) / float(len(words)) if words else 0},
        })
    warnings = []
    chair_s = n_hal_caps / n_caps
    if n_words == 0:
        warnings.append("no caption mentions a COCO object: CHAIR_i is 0/0 (the official code raises "
                        "ZeroDivisionError); reported 0.0")
    chair_i = n_hal_words / n_words if n_words else 0.0
    out = {"CHAIRs": _one_decimal(chair_s), "CHAIRi": _one_decimal(chair_i), "chair_s": chair_s, "chair_i": chair_i,
           "n_captions": n_caps, "n_mentions": n_words, "n_hallucinated_mentions": n_hal_words,
           "n_hallucinated_captions": n_hal_caps}
    if warnings:
        out["warnings"] = warnings
    return out, details


# ---------------------------------------------------------------- files and the entry point


def parse_caption_file(data, where_: str = "captions") -> tuple[list[dict], dict | None]:
    """Captions from the official format ``{"overall": {...}, "imgToEval": {"<id>": {"image_id", "caption",
    ...}}}`` — or, as a convenience, a plain list of ``{"image_id", "caption"}``. Returns (captions, overall).
    Every caption needs an integer image_id (COCO's ids are integers) and a string caption; an image_id may
    appear once (the duplicate-id rule, `hero.official.validate`)."""
    overall = None
    if isinstance(data, dict):
        if "imgToEval" not in data or not isinstance(data["imgToEval"], dict):
            raise InputError(f"{where_}: expected the caption-file format {{'overall': ..., 'imgToEval': "
                             "{'<image id>': {'image_id', 'caption'}}}} (or a list of {'image_id', 'caption'})")
        overall = data.get("overall")
        items = [x if hasattr(x, "where") or not isinstance(x, dict) else Located(x, f"{where_}: imgToEval[{k!r}]")
                 for k, x in data["imgToEval"].items()]
    elif isinstance(data, list):
        items = data
    else:
        raise InputError(f"{where_}: expected a JSON object or list, got {describe(data)[:40]}")
    if not items:
        raise InputError(f"{where_}: the caption file holds no captions")
    ids = []
    for i, item in enumerate(items, start=1):
        loc = where(item, f"{where_}: caption {i}")
        ids.append((need(item, "image_id", "integer", loc), loc))
        need(item, "caption", "string", loc)
    reject_duplicate_ids(ids, "image_id")
    return items, overall


def load_coco_dir(directory) -> tuple[list[dict], list[dict]]:
    """All ``instances_*.json`` and ``captions_*.json`` in a COCO annotations folder (the official code reads
    the train2014 and val2014 files of both kinds)."""
    from pathlib import Path

    from hero.official.coco import read_captions, read_instances
    from hero.official.validate import files_in

    d = Path(directory)
    if not d.is_dir():
        raise InputError(f"{d}: {'a file, expected a folder' if d.exists() else 'folder not found'} (pass the COCO "
                         "annotations folder with instances_*.json and captions_*.json)")
    inst, caps = files_in(d, "instances_*.json"), files_in(d, "captions_*.json")
    if not inst or not caps:
        raise InputError(f"{d}: needs at least one instances_*.json and one captions_*.json "
                         f"(found {len(inst)} and {len(caps)})")
    return [read_instances(p) for p in inst], [read_captions(p) for p in caps]


def _annotated_images(instances: Sequence[dict], coco_captions: Sequence[dict]) -> set:
    ids = {a["image_id"] for coco in instances for a in coco.get("annotations", [])}
    return ids | {a["image_id"] for coco in coco_captions for a in coco.get("annotations", [])}


def evaluate_chair_files(captions_data, instances: Sequence[dict], coco_captions: Sequence[dict],
                         synonyms: Synonyms, source: str = "captions") -> tuple[dict, list[dict]]:
    """Caption-file JSON + COCO JSONs -> (metrics, details); copies the caption file's ``overall`` scores.
    `source` names the caption file in errors."""
    caps, overall = parse_caption_file(captions_data, source)
    gt = ground_truth_objects({c["image_id"] for c in caps}, instances, coco_captions, synonyms)
    metrics, details = evaluate_chair(caps, gt, synonyms)
    known = _annotated_images(instances, coco_captions)
    unknown = sorted({c["image_id"] for c in caps} - known, key=str)
    if unknown:
        metrics.setdefault("warnings", []).insert(0, (
            f"{len(unknown)} caption image(s) have no COCO annotation or reference caption (every object they "
            f"mention counts as hallucinated, as in the official code): {unknown[:10]}"))
    if overall:
        metrics["caption_metrics"] = overall
    return metrics, details


def score_chair(captions_data, instances: Sequence[dict], coco_captions: Sequence[dict],
                synonyms: Synonyms) -> dict:
    """Metrics only (see `evaluate_chair_files`)."""
    return evaluate_chair_files(captions_data, instances, coco_captions, synonyms)[0]
