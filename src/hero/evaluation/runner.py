"""The resumable generation cache of a `hero eval` run folder.

RUN/manifest.json — identity: schema, model path + fingerprint (every file's bytes, `hero.trap.fingerprint`), the
image folder, the decoding settings and the prompt format. A run whose identity differs is refused: one folder never
mixes two models or two settings. RUN/generations.jsonl — one line per (image, prompt): {"image", "prompt", "text",
"n_tokens", "stop"}, appended, flushed and fsync'ed after every batch. A rerun skips the (image, prompt) pairs it
already has (a line cut by kill -9 is dropped and redone), so benchmarks that ask the same thing share it (POPE's
splits repeat their positive questions; AMBER's generative queries and CHAIR ask the same caption prompt).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from hero.distributed import merge_rank_files, ranks
from hero.evaluation.generate import DecodingConfig, Request
from hero.io import InputError, RunLock, read_json, write_json_atomic, write_jsonl_atomic
from hero.runid import ABSENT, first_difference
from hero.trap.fingerprint import SCHEME_CHANGED, model_fingerprint, scheme_changed
from hero.trap.runfolder import append_samples, read_samples

SCHEMA = "hero.eval.run/1"
GENERATIONS = "generations.jsonl"
PROMPT_FORMAT = "chat template: user [image, text], add_generation_prompt"
IDENTITY = ("schema", "model", "model_fingerprint", "images", "decoding", "prompt_format")


def make_manifest(model_dir: str | Path, images_dir: str | Path, cfg: DecodingConfig) -> dict:
    """The run identity as it reads back from manifest.json."""
    return json.loads(json.dumps({
        "schema": SCHEMA, "model": str(Path(model_dir).resolve()), "model_fingerprint": model_fingerprint(model_dir),
        "images": str(Path(images_dir).resolve()), "decoding": cfg.identity(), "prompt_format": PROMPT_FORMAT}))


def check_manifest(out: Path, new: dict) -> None:
    """Write RUN/manifest.json, or compare with the one there; a different identity → InputError with the fix."""
    path = out / "manifest.json"
    if not path.exists():
        if (out / GENERATIONS).exists():
            raise InputError(f"{out}: {GENERATIONS} without manifest.json was not written by hero eval; use a new "
                             "--out folder")
        write_json_atomic(path, new)
        return
    old = read_json(path)
    old = old if isinstance(old, dict) else {}
    if scheme_changed(old.get("model_fingerprint")):
        raise InputError(f"{out}: this run folder {SCHEME_CHANGED}")
    diff = first_difference({k: old.get(k, ABSENT) for k in IDENTITY}, {k: new[k] for k in IDENTITY})
    if diff:
        key, was, now = diff
        raise InputError(f"{out} holds generations of another run ({key}: {was!r}, now {now!r}); refusing "
                         "to mix models or settings in one folder — use a new --out folder")


def pending(requests: Sequence[Request], done: set) -> list[Request]:
    """Unique requests not in `done`, in first-seen order."""
    seen, out = set(done), []
    for r in requests:
        if r.key not in seen:
            seen.add(r.key)
            out.append(r)
    return out


def run_generations(out: str | Path, requests: Sequence[Request], manifest: dict,
                    make_generator: Callable[[], object], batch_size: int, progress: bool = False,
                    label: str = "generating") -> dict[tuple[str, str], dict]:
    """Generate what RUN/generations.jsonl lacks, batch by batch; return {(image, prompt): row} for `requests`.

    `make_generator()` is called only when something is left to generate (a finished run never loads the model);
    it returns an object with `generate(list[Request]) -> list[dict]`.
    """
    rk = ranks()
    if rk.world > 1:  # torchrun / accelerate launch: each process generates its share (hero.evaluation.sharded)
        from hero.evaluation.sharded import run_generations_sharded

        return run_generations_sharded(out, requests, manifest, make_generator, batch_size, rk, progress, label,
                                       check_manifest=check_manifest, pending=pending, bar=_bar)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    check_manifest(out, manifest)
    path = out / GENERATIONS
    with RunLock(out, tool="hero eval"):
        merge_rank_files(path, lambda x: (x["image"], x["prompt"]), [], read_samples,
                         write_jsonl_atomic)  # rank files of a sharded run that stopped, appended
        rows = {(r["image"], r["prompt"]): r for r in reversed(read_samples(path, repair=True))}
        todo = pending(requests, set(rows))
        if todo:
            gen = make_generator()
            with _bar(progress, label, len(todo)) as tick:
                for s in range(0, len(todo), batch_size):
                    new = gen.generate(todo[s: s + batch_size])
                    append_samples(path, new)
                    rows.update({(r["image"], r["prompt"]): r for r in new})
                    tick(len(new))
    return {r.key: rows[r.key] for r in requests}


class _bar:
    """A rich progress bar (or nothing) with a `tick(n)` callable."""

    def __init__(self, show: bool, label: str, total: int):
        self.show, self.label, self.total, self.progress = show, label, total, None

    def __enter__(self):
        if not self.show:
            return lambda n: None
        from rich.progress import Progress

        self.progress = Progress(transient=True)
        self.progress.__enter__()
        task = self.progress.add_task(self.label, total=self.total)
        return lambda n: self.progress.advance(task, n)

    def __exit__(self, *exc):
        if self.progress is not None:
            self.progress.__exit__(*exc)
