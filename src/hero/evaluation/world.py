"""`hero eval world`: every benchmark on one split of the embedded world, in one run folder, one results.json.

Steps: export the split in AMBER and COCO formats (`hero.world.export`) to RUN/data/{amber,coco}; then
POPE (the world's three splits, DIR/<split>/pope/world_<split>_pope_*.json), AMBER type a (discriminative and
generative), CHAIR with the synonym-bigram option (the world's categories are bigrams such as "red circle"), and
optionally THRONE with the rule-based judge. All share RUN/generations.jsonl (captions are generated once for
AMBER and CHAIR) and the model is loaded at most once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hero.official.configs import AmberConfig, ChairConfig, ThroneConfig
from hero.evaluation.config import (
    THRONE_PROMPT, AmberEvalConfig, ChairEvalConfig, DecodingConfig, PopeEvalConfig, ThroneEvalConfig,
)
from hero.io import InputError, write_json_atomic
from hero.threads import check_threads
from hero.io import check_out_folder

SCHEMA = "hero.eval.world/1"


@dataclass
class WorldEvalConfig:
    """`hero eval world`."""

    model: str
    """Model folder (Hugging Face format)."""
    world: str
    """Built world folder (`hero world build`)."""
    out: str
    """Run folder: data/ (exports), generations.jsonl, pope/, amber/, chair/, [throne/], results.json."""
    split: str = "test"
    """World split to evaluate: val or test (the splits with POPE files)."""
    decoding: DecodingConfig = field(default_factory=DecodingConfig)
    """Decoding settings."""
    limit: int | None = None
    """Evaluate only the first N items of each benchmark (POPE questions per split, AMBER queries per type, CHAIR
    and THRONE images)."""
    throne: bool = False
    """Also run THRONE with the rule-based judge."""
    throne_prompt: str = THRONE_PROMPT
    """THRONE's captioning prompt: the official "Describe this image in detail." by default; `hero demo` passes the
    world's trained caption prompt ("Describe this image.") so THRONE measures a prompt its tiny models learned."""
    similarity_model: str = "en_core_web_md"
    """spaCy model of AMBER's generative metrics."""
    threads: int = 0
    """torch CPU threads; 0 = auto: every core when the machine is idle (1-minute load average < 1), 1 when other
    jobs already load it (as `hero train sft --threads`)."""
    progress: bool = True
    """Show a progress bar."""

    def __post_init__(self) -> None:
        from hero.world.build import POPE_SPLITS, load_world

        if not (Path(self.model) / "config.json").is_file():
            raise InputError(f"{self.model}: not a Hugging Face model folder (no config.json) (--model)")
        if self.split not in POPE_SPLITS:
            raise ValueError(f"--split {self.split!r}: choose one of {', '.join(POPE_SPLITS)} (the splits with POPE "
                             "question files)")
        _, meta = load_world(self.world)
        if not meta.get("splits", {}).get(self.split):
            raise InputError(f"{self.world}: split {self.split!r} has no images; rebuild the world with "
                             f"{self.split}_images > 0")
        self._check_world_files()
        if not str(self.out or "").strip():
            raise ValueError("--out is required")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"--limit {self.limit} must be ≥ 1")
        check_threads(self.threads)
        check_out_folder(self.out)

    def _check_world_files(self) -> None:
        """The split's image folder and POPE files, named by --world (the command has no --images / --questions)."""
        from hero.official.pope import STRATEGIES
        from hero.world.build import pope_path

        rebuild = f"rebuild it with `hero world build --out {self.world}`"
        images = Path(self.world) / self.split / "images"
        if not images.is_dir():
            raise InputError(f"{images}: the world's {self.split} images are missing (--world); {rebuild}")
        for s in STRATEGIES:
            if not pope_path(self.world, self.split, s).is_file():
                raise InputError(f"{pope_path(self.world, self.split, s)}: the world's {self.split} POPE file is "
                                 f"missing (--world); {rebuild}")


def _once(factory):
    """A factory that builds its object on the first call and returns the same one afterwards."""
    held = []

    def make():
        if not held:
            held.append(factory())
        return held[0]

    return make


def world_configs(cfg: WorldEvalConfig) -> dict:
    """Export the split in AMBER and COCO formats to RUN/data and build every benchmark's validated config (their
    image folder is named --world in messages: this command has no --images)."""
    from hero.official.pope import STRATEGIES
    from hero.world.build import pope_path
    from hero.world.export import export_amber, export_coco

    out, world = Path(cfg.out), Path(cfg.world)
    amber_dir, coco_dir = out / "data" / "amber", out / "data" / "coco"
    export_amber(world, cfg.split, amber_dir)
    coco_files = export_coco(world, cfg.split, coco_dir)
    common = {"model": cfg.model, "images": str(world / cfg.split / "images"), "out": cfg.out,
              "decoding": cfg.decoding, "limit": cfg.limit, "images_flag": "--world"}
    amber = AmberConfig(amber_data=str(amber_dir), eval_type="a", similarity_model=cfg.similarity_model)
    configs = {"pope": PopeEvalConfig(**common, questions=[str(pope_path(world, cfg.split, s)) for s in STRATEGIES]),
               "amber": AmberEvalConfig(**common, queries=str(amber_dir / "query_all.json"), amber=amber),
               "chair": ChairEvalConfig(**common, chair=ChairConfig(coco=str(coco_dir), synonym_bigrams=True))}
    if cfg.throne:
        throne = ThroneConfig(coco_annotations=coco_files["instances"])
        configs["throne"] = ThroneEvalConfig(**common, throne=throne, judges=["rule"], prompt=cfg.throne_prompt)
    return configs


def run_world(cfg: WorldEvalConfig, progress: bool = False) -> dict:
    """Run every benchmark on the world split; write and return results.json's content. Everything is checked
    before the model loads (the spaCy model of AMBER included); a failure removes the --out folder it created
    unless generations were written."""
    from hero.evaluation.generate import load_generator
    from hero.evaluation.tasks import run_amber, run_chair, run_pope
    from hero.evaluation.throne import run_throne
    from hero.official.text import load_spacy
    from hero.trap.runfolder import removed_on_failure

    load_spacy(cfg.similarity_model)  # AMBER scores with it after generating: fail before, not after
    with removed_on_failure(cfg.out) as out:
        configs = world_configs(cfg)
        make = _once(lambda: load_generator(cfg.model, cfg.decoding, configs["pope"].images))
        results = {"schema": SCHEMA, "model": str(Path(cfg.model).resolve()), "world": str(Path(cfg.world).resolve()),
                   "split": cfg.split, "decoding": cfg.decoding.identity(), "limit": cfg.limit}
        runners = {"pope": run_pope, "amber": run_amber, "chair": run_chair, "throne": run_throne}
        for name, bench_cfg in configs.items():
            results[name] = runners[name](bench_cfg, progress, make)
        results["style"] = results["pope"]["style"]
        write_json_atomic(out / "results.json", results)
    return results


def evaluate_world(model_dir, world_dir, out_dir, *, split: str = "test", limit: int | None = None,
                   throne: bool = False, progress: bool = False, similarity_model: str = "en_core_web_md",
                   throne_prompt: str = THRONE_PROMPT, **decoding) -> dict:
    """POPE (3 splits), AMBER (d + g), CHAIR (and optionally THRONE) of a model on a world split → results.json.

    `decoding` holds `DecodingConfig` fields: decoding="greedy"|"sample"|"vcd", temperature, vcd_alpha, vcd_beta,
    vcd_step, degrade, max_new_tokens, batch_size, seed, device, dtype. Rerunning with the same out_dir resumes; another model or
    other settings in the same out_dir are refused.
    """
    try:
        dec = DecodingConfig(**decoding)
    except TypeError:
        from dataclasses import fields

        raise ValueError(f"evaluate_world: unknown decoding setting(s) {sorted(decoding)}; known: "
                         f"{[f.name for f in fields(DecodingConfig)]}") from None
    cfg = WorldEvalConfig(model=str(model_dir), world=str(world_dir), out=str(out_dir), split=split,
                          decoding=dec, limit=limit, throne=throne, throne_prompt=throne_prompt,
                          similarity_model=similarity_model)
    return run_world(cfg, progress)
