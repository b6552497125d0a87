"""The resumable `hero trap` runner: questions × degradation spec × T → samples.jsonl → summary.json → report.

The degradation grid is `TrapConfig.specs()`: the --noise shorthand (σ list) as noise specs, then the explicit
--degrade specs (hero.degrade: 'blur:1', 'noise:30+blur:1', ...), canonical and de-duplicated; both empty →
noise 0,30,50.

Run folder (RUN = --out):
* ``manifest.json`` — identity of the run: model path + fingerprint, question-file SHA-256, image folder, seed,
  the confidence kind (--confidence, and k for marginal / semantic, the NLI model's path and fingerprint for
  semantic; hero.trap.confidence) and the scorer's settings. A rerun
  whose identity differs is refused (two runs never mix in one samples.jsonl); summary settings (entropy kind,
  edges, threshold, bins, bootstrap) may change freely, and new specs / T values extend the run. It stores the
  grid: "degrade" (canonical specs) and, for older readers, "noise" (the σ of the noise-only specs).
* ``samples.jsonl`` — one line per (question, spec, T), see SAMPLE_FIELDS: ``degrade`` is the canonical spec and
  ``sigma`` its noise σ (0 for "none", null for specs that are not noise-only); appended, flushed and fsync'ed
  after every batch. A rerun skips the finished (id, degrade, T) keys (rows of older runs without ``degrade`` read
  as noise:<sigma>); a line cut by kill -9 is dropped and redone. ``confidence`` names what p_yes / p_no / the
  entropies measure ("conditional", or "marginal" with ``answers``: the k sampled answers, null = unparseable;
  "semantic" adds ``entropy_semantic``, ``semantic_clusters`` and ``semantic_cluster_ids``, hero.trap.semantic).
  ``prior`` is the question's prior tag (hero.trap.prior: consistent / violating / none; rows of older runs
  without it read as none).
* ``summary.json``, ``report.html``, ``report.md``, ``plots/`` — rewritten at the end of each run over the
  samples of the requested spec × T grid.

Scorer contract: ``score_fn(batch, degrade, temperature) -> list[dict]`` where degrade is a canonical hero.degrade
spec string ('none', 'noise:30', 'noise:30+blur:1') and batch is a list of question dicts
{id, image, image_path, text, [category]} (never the label) and the result holds, per question and in the same
order, {id, answer ("yes"|"no"|""), p_yes, p_no, entropy_binary, entropy_full (nats), reasoning (str|None),
parse_status ("ok"|"unparseable")}. It must degrade image_path by the spec in memory (`hero.degrade.apply`; never
write degraded images), deterministically in (seed, image, spec), so a resumed run equals an uninterrupted one, and
read p_yes, p_no and the entropies from the answer distribution at temperature T. An optional
attribute ``score_fn.settings`` (JSON-able dict: prompt, max tokens, ...) is stored in and checked by the manifest.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hero.distributed import merge_rank_files, rank_file_keys
from hero.degrade import DEFAULT_NOISE, Degradation, canonical, merge_specs, noise_specs
from hero.io import (
    ImageFolder, InputError, RunLock, check_out_folder, sha256_file, write_json_atomic, write_jsonl_atomic,
)
from hero.model.load import check_vlm_folder
from hero.threads import check_threads
from hero.trap import confidence as C
from hero.trap import semantic as S
from hero.trap.decoding import TrapDecoding
from hero.trap.progress import progress_bar as _progress
from hero.trap.prior import PRIOR_TAGS, balanced_indices, tag_questions
from hero.trap.questions import load_questions
from hero.trap.runfolder import (
    MANIFEST_SCHEMA, append_samples, check_manifest, model_fingerprint, read_samples, removed_on_failure, sample_key,
)
from hero.trap.summary import SummarySettings, summarize

ScoreFn = Callable[[list[dict], str, float], list[dict]]
SAMPLE_FIELDS = ("id", "degrade", "sigma", "temperature", "image", "category", "answer", "label", "correct",
                 "p_yes", "p_no", "entropy_binary", "entropy_full", "reasoning", "parse_status", "confidence",
                 "prior")


def parse_number_list(text: str | Sequence[float], what: str) -> list[float]:
    """'0,30,50' → [0.0, 30.0, 50.0]; a bad item raises ValueError saying how to write the list."""
    if not isinstance(text, str):
        return [float(v) for v in text]
    try:
        vals = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"bad {what} list {text!r}: write comma-separated numbers, e.g. "
                         f"{'0,30,50' if what == '--noise' else '0.7,1.0'}") from None
    return vals


@dataclass
class TrapConfig:
    """Settings of one `hero trap` run."""

    model: str
    """Model folder (Hugging Face format) the scorer loads; its path and file fingerprint go into the manifest."""
    questions: str
    """POPE-format question file (JSONL: question_id, image, text, label yes/no)."""
    images: str
    """Folder holding the images named by the questions' "image" field."""
    out: str
    """Run folder (RUN): samples.jsonl, manifest.json, summary.json, report.html/.md, plots/."""
    noise: list[float] = field(default_factory=list)
    """Noise shorthand: Gaussian σ on the 0–255 pixel scale (0 = clean), each becoming a noise spec. When both
    `noise` and `degrade` are empty it is set to 0, 30, 50."""
    degrade: list[str] = field(default_factory=list)
    """Explicit hero.degrade specs ('grain:50', 'blur:1', 'noise:30+blur:1'; a comma string is split); stored as
    canonical strings after validation. The grid is `specs()`: noise specs first, then these, de-duplicated."""
    temperatures: list[float] = field(default_factory=lambda: [1.0])
    """Softmax temperatures T of the answer distribution: p_yes, p_no and the entropies are read from
    softmax(logits / T) at the answer position, and answers (and CoT reasoning) are sampled at T."""
    summary: SummarySettings = field(default_factory=SummarySettings)
    """How the samples are summarised (entropy kind, bins, trap threshold, calibration bins, bootstrap)."""
    seed: int = 0
    """Seed of the image noise (handed to the scorer) and of the bootstrap."""
    batch_size: int = 64
    """Questions per scorer call; samples.jsonl is flushed after each batch."""
    progress: bool = True
    """Show a progress bar."""
    allow_outside_images: bool = False
    """Read images whose "image" field resolves outside --images (an absolute path, '..' or a symlink out);
    refused by default."""
    threads: int = 0
    """torch CPU threads; 0 = auto: every core when the machine is idle (1-minute load average < 1), 1 when other
    jobs already load it (as `hero train sft --threads`)."""
    device: str = "auto"
    """Where the model scores: auto (cuda when a GPU is visible — each process its own GPU under torchrun /
    accelerate launch — else cpu), cpu, cuda or cuda:N. Not part of the run identity."""
    confidence: str = "conditional"
    """Where confidence is measured (hero.trap.confidence): "conditional" = the answer distribution after the
    model's own CoT (answer models: of the first token); "marginal" = the share of "yes" among the answers of
    `confidence_samples` CoTs sampled at each temperature T (answer models: = conditional); "semantic" = marginal
    plus the semantic entropy of those CoTs clustered by NLI entailment (hero.trap.semantic; needs --nli-model;
    the summary then bins by it unless --entropy says otherwise). Part of the run identity."""
    confidence_samples: int = 8
    """k, the CoTs sampled per question for --confidence marginal / semantic (≥ 2); part of the run identity then."""
    nli_model: str = ""
    """NLI classifier folder (Hugging Face sequence classification with entailment / contradiction labels, e.g.
    from `hero train nli`) that judges entailment between sampled CoTs for --confidence semantic (required there,
    refused otherwise); its path and file fingerprint are part of the run identity."""
    prior_balance: bool = False
    """Score a prior-balanced subset of the questions (hero.trap.prior): as many prior-consistent as
    prior-violating questions (k = the smaller count, drawn by --seed), the others dropped. Needs world questions
    (--images = a built world's <split>/images). Part of the run identity."""
    answer_decoding: TrapDecoding = field(default_factory=TrapDecoding)
    """How the answer distribution is decoded (plain, or VCD's contrastive distribution; hero.trap.decoding)."""

    def __post_init__(self) -> None:
        self.noise = parse_number_list(self.noise, "--noise")
        if isinstance(self.degrade, str):
            self.degrade = [d for d in self.degrade.split(",") if d.strip()]
        self.degrade = [str(d) for d in self.degrade]
        if not self.noise and not self.degrade:
            self.noise = list(DEFAULT_NOISE)
        self.temperatures = parse_number_list(self.temperatures, "--temperatures")
        self._validate()

    def _validate(self) -> None:
        def bad(msg: str) -> None:
            raise ValueError(f"TrapConfig: {msg}")

        for name in ("model", "questions", "images", "out"):
            if not str(getattr(self, name) or "").strip():
                bad(f"--{name} is required")
        try:
            self.degrade = [canonical(d) for d in self.degrade]
            noise_specs(self.noise)
        except ValueError as e:
            bad(f"bad --noise / --degrade: {e}")
        if not self.temperatures or any(not math.isfinite(t) or t <= 0 for t in self.temperatures):
            bad(f"bad --temperatures {self.temperatures}: give positive numbers, e.g. 1.0 or 0.7,1.0,1.5")
        for name, vals in (("--noise", self.noise), ("--degrade", self.degrade),
                           ("--temperatures", self.temperatures)):
            if len(set(vals)) != len(vals):
                bad(f"{name} lists a value twice: {vals}")
        if self.batch_size < 1:
            bad("--batch-size must be ≥ 1")
        check_threads(self.threads)
        try:
            C.check_setting(self.confidence, self.confidence_samples, self.nli_model, self.summary.entropy)
        except ValueError as e:
            bad(str(e))

    def specs(self) -> list[str]:
        """The degradation grid: canonical specs, noise shorthand first, de-duplicated (hero.degrade.merge_specs)."""
        return merge_specs(self.noise, self.degrade)

    def image_folder(self) -> ImageFolder:
        """--images as an ImageFolder (containment rule, flags for messages)."""
        return ImageFolder(self.images, allow_outside=self.allow_outside_images)

    def summary_settings(self) -> dict:
        """Keyword arguments of summary.summarize for this run (no --entropy: semantic for a semantic run)."""
        kw = self.summary.kwargs(self.seed)
        if self.summary.entropy is None and self.confidence == "semantic":
            kw["entropy_kind"] = "semantic"
        return kw

    def nli_identity(self) -> dict | None:
        """The NLI model's part of the run identity (semantic runs): {"nli_model": path, "nli_fingerprint"}."""
        if self.confidence != "semantic":
            return None
        check_vlm_folder(self.nli_model, flag="--nli-model")
        return {"nli_model": str(Path(self.nli_model).resolve()), "nli_fingerprint": model_fingerprint(self.nli_model)}


# -- manifest ---------------------------------------------------------------------------------------------------
def make_manifest(cfg: TrapConfig, scorer_settings: dict) -> dict:
    """The run's identity and grid, as it will read back from manifest.json (JSON round trip: tuples → lists)."""
    return json.loads(json.dumps({"schema": MANIFEST_SCHEMA, "model": str(Path(cfg.model).resolve()),
            "model_fingerprint": model_fingerprint(cfg.model), "questions": str(Path(cfg.questions).resolve()),
            "questions_sha256": sha256_file(cfg.questions), "images": str(Path(cfg.images).resolve()),
            "seed": cfg.seed, "confidence": C.identity(cfg.confidence, cfg.confidence_samples, cfg.nli_identity()),
            "prior_balance": cfg.prior_balance,
            "scorer": scorer_settings, "degrade": cfg.specs(),
            "noise": sorted({Degradation.parse(d).sigma for d in cfg.specs()} - {None}),
            "temperatures": sorted(cfg.temperatures)}))


# -- scoring loop -----------------------------------------------------------------------------------------------
def check_scored(batch: Sequence[dict], results: Sequence[dict], spec: str, temperature: float) -> None:
    """Enforce the scorer contract (module docstring); a breach raises ValueError naming the sample and field."""
    if not isinstance(results, (list, tuple)) or len(results) != len(batch):
        n = len(results) if isinstance(results, (list, tuple)) else type(results).__name__
        raise ValueError(f"scorer returned {n} results for {len(batch)} questions ({spec}, T={temperature:g}); "
                         f"it must return one dict per question, in order")
    for q, r in zip(batch, results):
        where = f"scorer result for question {q['id']!r} ({spec}, T={temperature:g})"
        if not isinstance(r, dict) or str(r.get("id")) != str(q["id"]):
            raise ValueError(f"{where}: expected a dict with id {q['id']!r} in batch order, got {r!r:.120}")
        if r.get("answer") not in ("yes", "no", "") or r.get("parse_status") not in ("ok", "unparseable"):
            raise ValueError(f"{where}: answer must be 'yes'/'no'/'' and parse_status 'ok'/'unparseable', got "
                             f"{r.get('answer')!r} / {r.get('parse_status')!r}")
        if (r["answer"] == "") != (r["parse_status"] == "unparseable"):
            raise ValueError(f"{where}: answer '' goes with parse_status 'unparseable' and only with it")
        extra = ("entropy_semantic",) if "entropy_semantic" in r else ()  # --confidence semantic
        for k in ("p_yes", "p_no", "entropy_binary", "entropy_full", *extra):
            v = r.get(k)
            if not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0 or (k[0] == "p" and v > 1):
                raise ValueError(f"{where}: {k} must be a finite number{' in [0, 1]' if k[0] == 'p' else ' ≥ 0'}, "
                                 f"got {v!r}")
        if r.get("reasoning") is not None and not isinstance(r["reasoning"], str):
            raise ValueError(f"{where}: reasoning must be a string or null")


def make_row(q: dict, r: dict, spec: str, temperature: float) -> dict:
    """One samples.jsonl line (SAMPLE_FIELDS) from a question and its scorer result under canonical `spec`."""
    sigma = Degradation.parse(spec).sigma
    return {"id": q["id"], "degrade": spec,
            "sigma": None if sigma is None else int(sigma) if float(sigma).is_integer() else sigma,
            "temperature": float(temperature), "image": q["image"], "category": q.get("category"),
            "answer": r["answer"], "label": q["label"], "correct": r["answer"] == q["label"],
            "p_yes": float(r["p_yes"]), "p_no": float(r["p_no"]), "entropy_binary": float(r["entropy_binary"]),
            "entropy_full": float(r["entropy_full"]), "reasoning": r.get("reasoning"),
            "parse_status": r["parse_status"], "confidence": r.get("confidence", "conditional"),
            "prior": q.get("prior", "none"),
            **({"answers": list(r["answers"])} if "answers" in r else {}),
            **{k: r[k] for k in S.ROW_FIELDS if k in r}}


def pending_batches(questions: Sequence[dict], specs: Sequence[str], temperatures: Sequence[float],
                    done: set, batch_size: int) -> list[tuple[str, float, list[dict]]]:
    """(spec, T, batch) still to score, T-major then grid order then question-file order; finished keys skipped."""
    todo = []
    for t in temperatures:
        for s in specs:
            left = [q for q in questions if (str(q["id"]), s, float(t)) not in done]
            todo += [(s, t, left[i:i + batch_size]) for i in range(0, len(left), batch_size)]
    return todo


def sample_order(questions: Sequence[dict], specs: Sequence[str], temperatures: Sequence[float]) -> list[tuple]:
    """Every sample key of the grid in the order a fresh single-process run writes them (as pending_batches)."""
    return [(str(q["id"]), s, float(t)) for t in temperatures for s in specs for q in questions]


def score_all(todo: Sequence[tuple[str, float, list[dict]]], score_fn: ScoreFn, path: Path,
              progress: bool) -> int:
    """Score every pending batch, appending its rows to `path` as soon as it is done; return the count."""
    scorer_view = [{k: v for k, v in q.items() if k != "label"} for _, _, b in todo for q in b]  # never the label
    n, pos = 0, 0
    with _progress(progress, len(scorer_view)) as advance:
        for spec, t, batch in todo:
            view = scorer_view[pos:pos + len(batch)]
            pos += len(batch)
            results = score_fn(view, spec, t)
            check_scored(batch, results, spec, t)
            append_samples(path, [make_row(q, r, spec, t) for q, r in zip(batch, results)])
            n += len(batch)
            advance(len(batch))
    return n


# -- the run ----------------------------------------------------------------------------------------------------
@dataclass
class RunResult:
    """What a run did: the summary written, samples scored now / already there, questions without an image."""

    summary: dict | None
    n_new: int
    n_skipped: int
    missing: list[dict]
    files: dict


def finalize(cfg: TrapConfig, out: Path, manifest: dict, questions: Sequence[dict], missing: Sequence[dict],
             report: bool = True) -> tuple[dict, dict]:
    """Summarise the samples of the requested spec × T grid and valid questions; write summary.json (+ report)."""
    ids = {str(q["id"]) for q in questions}
    grid = {(s, float(t)) for s in cfg.specs() for t in cfg.temperatures}
    rows, seen = [], set()
    for r in read_samples(out / "samples.jsonl"):
        key = sample_key(r)
        if key[0] in ids and key[1:] in grid and key not in seen:
            seen.add(key)
            rows.append(r)
    summary = summarize(rows, **cfg.summary_settings())
    summary["confidence"] = C.summary_record(cfg.confidence, cfg.confidence_samples, rows)
    summary["run"] = {k: manifest.get(k) for k in ("model", "questions", "questions_sha256", "images", "seed",
                                                    "confidence", "scorer", "prior_balance")}
    summary["prior_questions"] = {"balanced": cfg.prior_balance,
                                  "counts": {t: sum(q.get("prior") == t for q in questions) for t in PRIOR_TAGS}}
    summary["missing_images"] = {"count": len(missing), "ids": [q["id"] for q in missing],
                                 "files": [q["image"] for q in missing]}
    write_json_atomic(out / "summary.json", summary)
    files = {"samples": out / "samples.jsonl", "summary": out / "summary.json", "manifest": out / "manifest.json"}
    if report:
        from hero.trap.report import write_report

        files.update(write_report(out, summary, rows, name=Path(cfg.model).name or "model"))
    return summary, files


def scoreable_questions(cfg: TrapConfig) -> tuple[list[dict], list[dict]]:
    """load_questions' (questions with their image, questions whose image is missing), the scoreable ones tagged
    with their prior tag (hero.trap.prior) and, under --prior-balance, cut to the balanced set; none with its image →
    InputError saying how many are missing and where it looked (a run that would score nothing is an error)."""
    questions, missing = load_questions(cfg.questions, cfg.image_folder())
    counts = tag_questions(questions, cfg.images)
    if cfg.prior_balance:
        if not counts["consistent"] or not counts["violating"]:
            raise InputError(f"--prior-balance: {cfg.questions} has {counts['consistent']} prior-consistent and "
                             f"{counts['violating']} prior-violating question(s) with their image, so no balanced set "
                             "can be drawn; use world questions (--images WORLD/<split>/images of a world with a "
                             "prior) or drop --prior-balance")
        questions = [questions[i] for i in balanced_indices([q["prior"] for q in questions], cfg.seed)]
    if not questions:
        shown = ", ".join(q["image"] for q in missing[:3])
        raise InputError(f"{cfg.questions}: the images of all {len(missing)} question(s) are missing under "
                         f"{cfg.images} (--images), e.g. {shown}; nothing would be scored — point --images at the "
                         "folder that holds them")
    return questions, missing


def preflight(cfg: TrapConfig) -> tuple[list[dict], list[dict]]:
    """Check the inputs and the run folder before the (slow) model load: the model folder, questions with at least
    one image, the --out path, the manifest identity except the scorer settings. Returns scoreable_questions'."""
    check_vlm_folder(cfg.model)
    questions, missing = scoreable_questions(cfg)
    check_out_folder(cfg.out)
    if Path(cfg.out).is_dir():
        check_manifest(Path(cfg.out), make_manifest(cfg, {}), skip=("scorer",))
    else:
        model_fingerprint(cfg.model)
        cfg.nli_identity()
    return questions, missing


def confident(cfg: TrapConfig, score_fn: ScoreFn, entail: S.EntailFn | None = None) -> ScoreFn:
    """score_fn measuring cfg.confidence (hero.trap.confidence.confidence_scorer; semantic:
    hero.trap.semantic.semantic_scorer judged by `entail`), its samples checked by check_scored."""
    if cfg.confidence == "semantic":
        return S.semantic_scorer(score_fn, cfg.confidence_samples, check_scored, entail)
    return C.confidence_scorer(score_fn, cfg.confidence, cfg.confidence_samples, check_scored)


def run_trap(cfg: TrapConfig, score_fn: ScoreFn, progress: bool = False, report: bool = True,
             loaded: tuple[list[dict], list[dict]] | None = None, entail: S.EntailFn | None = None) -> RunResult:
    """Score what is missing in cfg.out, then write summary.json and the report. Safe to rerun after a crash; a
    failed run removes the --out folder it created unless samples were written (`removed_on_failure`). `loaded`:
    preflight's (questions, missing), so the question file is not read twice; `entail`: the NLI judge of
    --confidence semantic (hero.trap.semantic)."""
    questions, missing = loaded or scoreable_questions(cfg)
    new_manifest = make_manifest(cfg, dict(getattr(score_fn, "settings", None) or {}))
    score_fn = confident(cfg, score_fn, entail)
    check_out_folder(cfg.out)
    with removed_on_failure(cfg.out) as out:
        out.mkdir(parents=True, exist_ok=True)
        with RunLock(out, tool="hero trap"):
            return _score_and_finalize(cfg, out, new_manifest, questions, missing, score_fn, progress, report)


def _score_and_finalize(cfg: TrapConfig, out: Path, new_manifest: dict, questions: list[dict],
                        missing: list[dict], score_fn: ScoreFn, progress: bool, report: bool) -> RunResult:
    """run_trap's body under the lock: check/merge the manifest, score what is left, summarise."""
    manifest = check_manifest(out, new_manifest)
    write_json_atomic(out / "manifest.json", manifest)
    samples_path = out / "samples.jsonl"
    done = {sample_key(r) for r in read_samples(samples_path, repair=True)}
    done |= rank_file_keys(samples_path, sample_key, read_samples)  # a stopped sharded run's work (hero.trap.sharded)
    todo = pending_batches(questions, cfg.specs(), cfg.temperatures, done, cfg.batch_size)
    n_new = score_all(todo, score_fn, samples_path, progress)
    merge_rank_files(samples_path, sample_key, sample_order(questions, cfg.specs(), cfg.temperatures), read_samples,
                     write_jsonl_atomic)  # ... folded in, in single-process order
    n_total = len(questions) * len(cfg.specs()) * len(cfg.temperatures)
    summary, files = finalize(cfg, out, manifest, questions, missing, report)
    return RunResult(summary, n_new, n_total - n_new, list(missing), files)
