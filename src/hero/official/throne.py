"""THRONE scoring (step 3 of amazon-science/THRONE: ``throne_score_aqa.py``), float32 as the official code.

Spec: ``../shared/benchmarks/specs/throne.md`` (written from the official code; the scoring script itself was not
readable offline here, so the float32 operation order below is the natural one for torch and may differ from
the official one in the last float32 bit — the printed three decimals do not depend on it).

Inputs: the COCO-format annotation file the responses were asked about, and one JSON per evaluator LM
``{image_id: [M*C answers]}`` where answer ``k*C + c`` is prompt format k asked about category c (categories in
id order). An answer is a yes iff ``a.lower().strip() == "yes"``. votes(image, c) counts yes over every
(evaluator file, prompt) pair; V is the number of pairs (3 files x 3 prompts = 9).

For a threshold τ a class is *present* when votes ≥ τ and *disqualified* when V − τ < votes < τ (neither counted
as present nor as ground truth). ``micro``: per image p = |gt'∩pred'|/|pred'|, r = |gt'∩pred'|/|gt'| when both
sets are non-empty, else p = r = 0; F1 = 2pr/(p+r), F0.5 = 1.25pr/(0.25p+r) (NaN at p = r = 0); reported
P = mean p, R = mean r, F1/F0_5 = NaN-mean, N = images, NaNs = images with NaN F1. ``class``: per class counts
over all images, P_c, R_c, F1_c, F0.5_c, each reported as the NaN-mean over classes; N = classes, NaNs = classes
with NaN F1.
"""

from __future__ import annotations

from collections.abc import Sequence

from hero.official.validate import InputError, check_value, reject_duplicate_ids

STRATEGIES = ("micro", "class")


def category_names(coco: dict) -> list[str]:
    """COCO category names in category-id order (the order of the answer blocks)."""
    cats = coco.get("categories")
    if not cats:
        raise ValueError("COCO annotations: no 'categories'")
    return [c["name"] for c in sorted(cats, key=lambda c: c["id"])]


def gt_classes(coco: dict) -> dict[int, set[int]]:
    """image id -> set of category indices (id order) of its annotations."""
    index = {c["id"]: i for i, c in enumerate(sorted(coco["categories"], key=lambda c: c["id"]))}
    out: dict[int, set[int]] = {}
    for ann in coco.get("annotations", []):
        out.setdefault(ann["image_id"], set()).add(index[ann["category_id"]])
    return out


def _image_ids(ev: dict, label: str) -> list[int]:
    """The file's keys as image ids (int(key)), unique: "7" and "07" are the same image (duplicate-id rule)."""
    ids = []
    for key in ev:
        try:
            ids.append(int(key))
        except (TypeError, ValueError):
            raise InputError(f"{label}: key {key!r} is not an image id") from None
    reject_duplicate_ids(((i, f"{label}: image {k!r}") for i, k in zip(ids, ev)), "image id")
    return ids


def _check_answers(answers, key: str, label: str, n_classes: int, categories: Sequence[str]) -> int:
    """The number of prompt formats M of one image's answer list (M * C strings)."""
    if not isinstance(answers, list) or len(answers) % n_classes or not answers:
        raise InputError(f"{label}: image {key!r}: {len(answers) if isinstance(answers, list) else 'not a list of'} "
                         f"answers is not a positive multiple of the {n_classes} categories")
    for k, a in enumerate(answers):
        if not isinstance(a, str):
            cat = f", category {categories[k % n_classes]!r}" if len(categories) == n_classes else ""
            check_value(a, "string", f"{label}: image {key!r}: answer {k + 1} (prompt format "
                                     f"{k // n_classes + 1}{cat})", ' ("yes"/"no")')
    return len(answers) // n_classes


def count_votes(evaluations: Sequence[dict], n_classes: int, names: Sequence[str] = (),
                categories: Sequence[str] = ()) -> tuple[dict, int]:
    """(image id -> list of yes votes per class, V = number of (file, prompt) pairs). `names` label the files
    and `categories` the answer blocks in errors; every answer must be a string."""
    votes: dict[int, list[int]] = {}
    prompts_per_file: list[int] = []
    image_sets = []
    for f, ev in enumerate(evaluations):
        label = names[f] if f < len(names) else f"evaluation file {f + 1}"
        if not isinstance(ev, dict) or not ev:
            raise InputError(f"{label}: expected a non-empty JSON object image_id -> list of answers")
        m_file = None
        for image_id, (key, answers) in zip(_image_ids(ev, label), ev.items()):
            m = _check_answers(answers, key, label, n_classes, categories)
            if m_file is not None and m != m_file:
                raise InputError(f"{label}: image {key!r} has {m} prompt formats, earlier images {m_file}")
            m_file = m
            row = votes.setdefault(image_id, [0] * n_classes)
            for k, a in enumerate(answers):
                if a.lower().strip() == "yes":
                    row[k % n_classes] += 1
        prompts_per_file.append(m_file)
        image_sets.append({int(k) for k in ev})
    if any(s != image_sets[0] for s in image_sets[1:]):
        sizes = [len(s) for s in image_sets]
        raise ValueError(f"the evaluation files cover different images ({sizes} images); every evaluator must "
                         "answer for the same images")
    return votes, sum(prompts_per_file)


def _sets(votes: list[int], v_total: int, tau: int) -> tuple[set[int], set[int]]:
    present = {c for c, n in enumerate(votes) if n >= tau}
    disq = {c for c, n in enumerate(votes) if v_total - tau < n < tau}
    return present, disq


def _f_scores(p, r):  # float32 tensors -> (F1, F0.5); NaN where p = r = 0
    return 2 * p * r / (p + r), 1.25 * p * r / (0.25 * p + r)


def micro_scores(votes: dict, gt: dict, v_total: int, tau: int) -> dict:
    """Image-level THRONE numbers for one threshold (see the module docstring)."""
    import torch

    ps, rs = [], []
    for image_id, v in votes.items():
        present, disq = _sets(v, v_total, tau)
        g, pred = gt.get(image_id, set()) - disq, present - disq
        if g and pred:
            hit = len(g & pred)
            ps.append(hit / len(pred))
            rs.append(hit / len(g))
        else:
            ps.append(0.0)
            rs.append(0.0)
    p, r = torch.tensor(ps, dtype=torch.float32), torch.tensor(rs, dtype=torch.float32)
    f1, f05 = _f_scores(p, r)
    return {"P": p.mean().item(), "R": r.mean().item(), "F1": torch.nanmean(f1).item(),
            "F0_5": torch.nanmean(f05).item(), "N": len(ps), "NaNs": int(torch.isnan(f1).sum())}


def class_scores(votes: dict, gt: dict, v_total: int, tau: int, n_classes: int) -> dict:
    """Class-wise THRONE numbers for one threshold (NaN-means over classes)."""
    import torch

    pred_c, correct_c, gt_c = [0] * n_classes, [0] * n_classes, [0] * n_classes
    for image_id, v in votes.items():
        present, disq = _sets(v, v_total, tau)
        g = gt.get(image_id, set())
        for c in present - disq:
            pred_c[c] += 1
            correct_c[c] += c in g
        for c in g - disq:
            gt_c[c] += 1
    pred, correct, gtt = (torch.tensor(x, dtype=torch.float32) for x in (pred_c, correct_c, gt_c))
    p, r = correct / pred, correct / gtt
    f1, f05 = _f_scores(p, r)
    return {"P": torch.nanmean(p).item(), "R": torch.nanmean(r).item(), "F1": torch.nanmean(f1).item(),
            "F0_5": torch.nanmean(f05).item(), "N": n_classes, "NaNs": int(torch.isnan(f1).sum())}


def default_thresholds(v_total: int) -> list[int]:
    """Official 5, 8, 9 for 9 votes per class (3 judges × 3 formats); otherwise majority and unanimity."""
    return [5, 8, 9] if v_total == 9 else sorted({v_total // 2 + 1, v_total})


def evaluate_throne(coco: dict, evaluations: Sequence[dict], thresholds: Sequence[int] | None = (5, 8, 9),
                    strategy: str = "micro", names: Sequence[str] = ()) -> tuple[dict, list[dict]]:
    """THRONE for every threshold (None: `default_thresholds` of the vote count); returns (metrics, per-image
    details). `names` label the evaluation files."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {STRATEGIES}")
    if not evaluations:
        raise ValueError("no evaluation files (one JSON per evaluator LM is expected)")
    cats = category_names(coco)
    votes, v_total = count_votes(evaluations, len(cats), names, cats)
    thresholds = default_thresholds(v_total) if thresholds is None else thresholds
    bad = [t for t in thresholds if not (isinstance(t, int) and 1 <= t <= v_total)]
    if bad or not thresholds:
        raise ValueError(f"thresholds {list(bad) or '(none)'} must be integers in 1..{v_total} "
                         f"(the number of evaluator x prompt votes)")
    gt = gt_classes(coco)
    out = {"strategy": strategy, "votes_per_class": v_total, "n_images": len(votes), "thresholds": {}}
    for tau in thresholds:
        out["thresholds"][str(tau)] = (micro_scores(votes, gt, v_total, tau) if strategy == "micro"
                                       else class_scores(votes, gt, v_total, tau, len(cats)))
    missing = [i for i in votes if i not in gt]
    if missing:
        out["warnings"] = [f"{len(missing)} image(s) have no annotation in the COCO file (empty ground truth): "
                           f"{sorted(missing)[:10]}"]
    details = [{"image_id": i, "gt": sorted(cats[c] for c in gt.get(i, set())),
                "votes": {cats[c]: n for c, n in enumerate(v) if n}} for i, v in votes.items()]
    return out, details


def score_throne(coco: dict, evaluations: Sequence[dict], thresholds: Sequence[int] = (5, 8, 9),
                 strategy: str = "micro") -> dict:
    """Metrics only (see `evaluate_throne`)."""
    return evaluate_throne(coco, evaluations, thresholds, strategy)[0]
