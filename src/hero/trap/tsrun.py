"""`hero trap tempscale`: temperature scaling as a trap row — T fitted on a validation trap run, applied to a test
trap run, written as a run folder of its own (samples.jsonl, manifest.json, summary.json, report) that
`hero trap compare` and the demo read like any `hero trap` run.

    hero trap tempscale --fit VAL_RUN --apply TEST_RUN --out DIR [--temperature 1.0]

* Fit (hero.trap.tempscale.fit_temperature): one scalar T minimising the mean NLL of the labels on every sample of
  VAL_RUN at run temperature --temperature (all degradation specs pooled; unparseable answers included, their
  p_yes / p_no are still the model's), with p_yes = σ(z / T), z = ln(p_yes / p_no).
* Apply (`scale_rows`): every sample of TEST_RUN at --temperature gets p_yes = σ(z / T), p_no = 1 − p_yes (the
  yes/no renormalised answer distribution), entropy_binary = H(p_yes); the answer (so correctness) is kept —
  scaling one margin never flips its sign, and sampled answers stay as drawn. entropy_full is not defined after
  scaling (it needs the whole vocabulary) and is written null, so summarise such a folder with --entropy binary.
* T is written in summary.json and manifest.json under "tempscale": {"temperature" (T), "fit_run", "fit_samples",
  "fit_nll_before" (T = 1), "fit_nll_after", "applied_run", "run_temperature"}; each row carries "tempscale": T.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hero.io import InputError, check_out_folder, read_json, write_json_atomic, write_jsonl_atomic
from hero.trap import tempscale as TS
from hero.trap.summary import SummarySettings, summarize


@dataclass
class TempScaleConfig:
    """Settings of `hero trap tempscale`."""

    fit: str
    """Validation run folder (a `hero trap` --out) whose samples T is fitted on."""
    apply: str
    """Test run folder (a `hero trap` --out) the fitted T is applied to."""
    out: str
    """Output run folder: samples.jsonl, manifest.json, summary.json, report.html/.md, plots/."""
    temperature: float = 1.0
    """Run temperature (a --temperatures value of both runs) whose samples are fitted and scaled."""
    summary: SummarySettings = field(default_factory=SummarySettings)
    """How the scaled samples are summarised (--entropy must stay binary: entropy_full is undefined after scaling)."""
    seed: int = 0
    """Bootstrap seed of the summary."""

    def __post_init__(self) -> None:
        for name in ("fit", "apply", "out"):
            if not str(getattr(self, name) or "").strip():
                raise ValueError(f"TempScaleConfig: --{name} is required, e.g. `hero trap tempscale --fit runs/val "
                                 "--apply runs/test --out runs/test_ts`")
        if not (math.isfinite(self.temperature) and self.temperature > 0):
            raise ValueError(f"--temperature {self.temperature}: give the positive run temperature both runs scored at")
        if self.summary.entropy not in (None, "binary"):
            raise ValueError(f"--entropy {self.summary.entropy} is undefined after temperature scaling (only the "
                             "yes/no pair is rescaled); use --entropy binary")
        if Path(self.out).resolve() in (Path(self.fit).resolve(), Path(self.apply).resolve()):
            raise ValueError("--out must be a new folder, not the --fit or --apply run")


def fit_on_rows(rows: Sequence[dict]) -> dict:
    """T fitted on rows' (p_yes, p_no, label): {"temperature", "fit_samples", "fit_nll_before", "fit_nll_after"}."""
    z = TS.margins([r["p_yes"] for r in rows], [r["p_no"] for r in rows])  # (N,)
    y = np.array([r["label"] == "yes" for r in rows])  # (N,)
    t = TS.fit_temperature(z, y)
    return {"temperature": t, "fit_samples": len(rows), "fit_nll_before": TS.nll(z, y, 1.0),
            "fit_nll_after": TS.nll(z, y, t)}


def scaled_entropy(p_yes: np.ndarray) -> np.ndarray:
    """H(p) = −p ln p − (1 − p) ln(1 − p) in nats, 0 ln 0 = 0. p 0.5 → ln 2 = 0.6931; p 0.9 → 0.3250829734."""
    import torch

    from hero import mathutil

    return mathutil.binary_entropy(torch.as_tensor(np.asarray(p_yes, dtype=float))).numpy()  # (N,)


def scale_rows(rows: Sequence[dict], temperature: float) -> list[dict]:
    """The rows with p_yes = σ(z / T), p_no = 1 − p_yes, entropy_binary = H(p_yes), entropy_full null, answers kept,
    and "tempscale": T (module docstring)."""
    if not rows:
        return []
    p = TS.apply_temperature([r["p_yes"] for r in rows], [r["p_no"] for r in rows], temperature)  # (N,)
    h = scaled_entropy(p)  # (N,)
    return [{**r, "p_yes": float(py), "p_no": float(1.0 - py), "entropy_binary": float(hb), "entropy_full": None,
             "tempscale": float(temperature)} for r, py, hb in zip(rows, p, h)]


def _run_rows(run: str, temperature: float, flag: str) -> tuple[dict, list[dict]]:
    """(manifest or {}, the run's samples at `temperature`); none → InputError saying which temperatures it has."""
    from hero.trap.compare import load_run

    _info, samples = load_run(run)
    manifest = read_json(Path(run) / "manifest.json") if (Path(run) / "manifest.json").is_file() else {}
    rows = [s for s in samples if float(s["temperature"]) == float(temperature)]
    if not rows:
        have = sorted({float(s["temperature"]) for s in samples})
        raise InputError(f"{run} ({flag}): no samples at run temperature {temperature:g}; it has T = "
                         f"{', '.join(f'{t:g}' for t in have)} — pass one of them as --temperature")
    return manifest, rows


def run_tempscale(cfg: TempScaleConfig) -> tuple[dict, dict]:
    """Fit on cfg.fit, apply to cfg.apply, write cfg.out; returns (summary, files)."""
    from hero.trap.report import write_report

    _, val_rows = _run_rows(cfg.fit, cfg.temperature, "--fit")
    manifest, test_rows = _run_rows(cfg.apply, cfg.temperature, "--apply")
    check_out_folder(cfg.out)
    fitted = fit_on_rows(val_rows)
    record = {**fitted, "fit_run": str(Path(cfg.fit).resolve()), "applied_run": str(Path(cfg.apply).resolve()),
              "run_temperature": float(cfg.temperature)}
    rows = scale_rows(test_rows, fitted["temperature"])
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl_atomic(out / "samples.jsonl", rows)
    write_json_atomic(out / "manifest.json", json.loads(json.dumps({**manifest, "tempscale": record})))
    summary = summarize(rows, **cfg.summary.kwargs(cfg.seed))
    test_summary = Path(cfg.apply) / "summary.json"
    old = read_json(test_summary) if test_summary.is_file() else {}
    for key in ("confidence", "missing_images", "prior_questions"):
        if key in old:
            summary[key] = old[key]
    summary["run"] = {k: manifest.get(k) for k in ("model", "questions", "questions_sha256", "images", "seed",
                                                   "confidence", "scorer", "prior_balance")}
    summary["tempscale"] = record
    write_json_atomic(out / "summary.json", summary)
    files = {"samples": out / "samples.jsonl", "summary": out / "summary.json", "manifest": out / "manifest.json"}
    name = f"{Path(cfg.apply).name} (temperature-scaled, T = {fitted['temperature']:.3f})"
    files.update(write_report(out, summary, rows, name=name))
    return summary, files
