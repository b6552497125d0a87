"""The stages of `hero demo`, each a thin call into the library (world, model, SFT, RL, trap, eval).

Folder layout under <out>: world/world (the built world), init/model, nli/model (the world's NLI model, when the
reward has an NLI part), sft_cot/model, sft_answer/model,
<method>/model for grpo, hero, dpo (and the ablations), trap_<model>/ (hero trap run folders; trap_sft_cot_vcd =
CoT-SFT under VCD, trap_sft_cot_val = CoT-SFT on the val split's adversarial POPE questions, trap_sft_cot_ts = the
test run temperature-scaled with T fitted on that val run), eval_<model>/ (hero eval world run folders), report/.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hero.demo.config import (ABLATIONS, FOLLOWER_CAP, FROM_LEADER, GATE_REWARD, METHOD_SETTINGS, METHODS,
                              STEP_LEADER, DemoConfig)
from hero.demo.stages import Stage, read_done

TRAP_TEMPERATURES = (1.0, 0.5, 1.5)  # 1.0 = the plain model; 0.5 / 1.5 = the temperature decoding baselines


def paths(out: Path) -> dict[str, Path]:
    return {"world": out / "world" / "world", "init": out / "init" / "model", "questions": out / "world" /
            "trap_questions.json"}


def model_dir(out: Path, name: str) -> Path:
    """Model folder of a trained model stage (sft_cot, sft_answer, grpo, hero, dpo, hero_no_*)."""
    return out / name / "model"


def rl_methods(cfg: DemoConfig) -> list[tuple[str, str, dict]]:
    """(stage name, method, overrides) of every RL run: GRPO, HERO, DPO, then the ablations if asked."""
    runs = [(m, m, {}) for m in METHODS]
    if cfg.ablations:
        runs += [(name, "hero", ov) for name, ov in ABLATIONS.items()]
    return runs


def _world(cfg: DemoConfig, out: Path):
    def fn(d: Path) -> dict:
        from hero.world import build_world, pope_path
        from hero.world.presets import preset_config

        fields = {"seed": cfg.seed, **cfg.world_sizes}
        wcfg = preset_config(cfg.world_preset, **fields)
        meta = build_world(wcfg, paths(out)["world"], progress=False)
        lines = pope_path(paths(out)["world"], "test", "adversarial").read_text().splitlines()
        paths(out)["questions"].write_text("\n".join(lines[: cfg.trap_questions]) + "\n")
        return {"splits": meta["splits"], "trap_questions": min(len(lines), cfg.trap_questions)}
    return fn


def _init(cfg: DemoConfig, out: Path):
    def fn(d: Path) -> dict:
        from hero.model.build import build_model, save
        from hero.world import load_world

        wcfg, _ = load_world(paths(out)["world"])
        model, processor = build_model("tiny", wcfg.colours, wcfg.shapes, wcfg.image_size, seed=cfg.seed)
        save(model, processor, paths(out)["init"])
        return {"parameters": sum(p.numel() for p in model.parameters())}
    return fn


def nli_dir(out: Path) -> Path:
    """The NLI model folder the `nli` stage trains (the premise of its reward: each RL row's `reference`, the
    image's ground-truth caption)."""
    return out / "nli" / "model"


def _nli(cfg: DemoConfig, out: Path):
    def fn(d: Path) -> dict:
        from hero.rewards.nli_train import train_nli

        s = train_nli(paths(out)["world"], nli_dir(out), budget_min=cfg.minutes["nli"], seed=cfg.seed,
                      max_steps=cfg.nli_steps, threads=cfg.threads, progress=cfg.progress)
        keep = ("steps", "stopped_by", "train_seconds", "heldout_accuracy", "heldout_unseen_accuracy", "parameters")
        return {"model": str(nli_dir(out)), **{k: s.get(k) for k in keep}}
    return fn


def rl_settings(cfg: DemoConfig, method: str, overrides: dict) -> dict:
    """run_rl settings of an RL stage besides its budget and steps: the reward, the method's fair-control settings
    (METHOD_SETTINGS) and the ablation's overrides; the gate and hard negatives read the yes_no reward
    (GATE_REWARD) when it is summed with another. DPO: its learning rate and β, then its overrides (its pairs come
    from the verifier). Every method trains on the demo's σ levels (cfg.level_specs) — passed only when the σ op is
    not run_rl's default noise.
    rl_settings(reward="yes_no+nli", "grpo", {}) = {"reward": "yes_no+nli", "gate": True,
    "gate_reward": "yes_no_exact"}; HERO and its ablations also get cfg.entropy_source."""
    levels = {"degrade": cfg.level_specs} if cfg.sigma_op != "noise" else {}  # noise: run_rl's default grid
    if method == "dpo":
        return {"learning_rate": cfg.dpo_lr, "beta": cfg.dpo_beta, **levels, **overrides}
    parts = cfg.reward.split("+")
    gate_reward = {"gate_reward": GATE_REWARD} if "yes_no" in parts and len(parts) > 1 else {}
    hero = {"entropy_source": cfg.entropy_source} if method == "hero" else {}
    return {"reward": cfg.reward, **METHOD_SETTINGS.get(method, {}), **hero, **levels, **overrides, **gate_reward}


def protocol(cfg: DemoConfig, rule: str) -> dict:
    """results.json's `protocol`: the reward, the gate and hard negatives per RL run, what the gate reads, the
    matched-steps rule and why GRPO gets the gate but not hard negatives."""
    runs = {stage: (method, rl_settings(cfg, method, ov)) for stage, method, ov in rl_methods(cfg)}
    return {"reward": cfg.reward, "nli_model": str(nli_dir(Path(cfg.out))) if cfg.uses_nli else None,
            "dpo_reward": "pairs from the exact yes_no verifier (no reward function)",
            "dpo": {"learning_rate": cfg.dpo_lr, "beta": cfg.dpo_beta},
            "hero_entropy_source": cfg.entropy_source,
            "gate": {st: method != "dpo" and s.get("gate", method == "hero") for st, (method, s) in runs.items()},
            "gate_reward": {st: s.get("gate_reward", "sum" if method != "dpo" else None)
                            for st, (method, s) in runs.items()},
            "hard_negatives": {st: bool(s.get("hard_negatives", False)) for st, (_, s) in runs.items()},
            "matched_steps_rule": rule,
            "why": "GRPO gets the same zero-variance gate as HERO (DAPO dynamic sampling), as the issue asks; hard "
                   "negatives (all-wrong groups penalised, scaled by HERO's confidence weight) are part of HERO's "
                   "treatment, so GRPO keeps GRPO's zero advantage there"}


def _sft(cfg: DemoConfig, out: Path, style: str):
    def fn(d: Path) -> dict:
        from hero.sft.pipeline import run_sft
        from hero.sft.settings import SFTRunConfig

        res = run_sft(SFTRunConfig(model=str(paths(out)["init"]), world=str(paths(out)["world"]), style=style,
                                   out=str(d / "model"), budget_min=cfg.minutes[f"sft_{style}"], seed=cfg.seed,
                                   progress=cfg.progress, threads=cfg.threads, caption_frac=cfg.caption_frac))
        return {"train_minutes": res["seconds"] / 60, **{k: v for k, v in res.items() if _plain(v)}}
    return fn


def step_followers(cfg: DemoConfig) -> list[str]:
    """RL stages that run the leader's (STEP_LEADER's) optimizer-step count: GRPO and the HERO ablations."""
    return [stage for stage, method, _ in rl_methods(cfg) if method in ("grpo", "hero") and stage != STEP_LEADER]


def training_order(cfg: DemoConfig) -> list[tuple[str, str, dict]]:
    """rl_methods with the step leader first (the followers need its step count)."""
    runs = rl_methods(cfg)
    return sorted(runs, key=lambda r: r[0] != STEP_LEADER)  # stable: the others keep their order


def matched_steps(steps: dict[str, int | None], leader: str, followers: Sequence[str]) -> dict:
    """How the optimizer steps were matched: {"leader", "followers", "matched", "rule"}; matched = every follower
    made exactly the leader's step count (None while one of them has no count)."""
    counts = [steps.get(s) for s in (leader, *followers)]
    matched = None if None in counts else all(c == counts[0] for c in counts)
    rule = (f"{leader} trains on its time budget, then {', '.join(followers) or 'no run'} train for exactly its "
            f"optimizer-step count (time cap {FOLLOWER_CAP:g}× the RL budget share); DPO stays time-budgeted (its "
            "steps are over preference pairs, not comparable)")
    return {"leader": leader, "followers": list(followers), "matched": matched, "rule": rule}


def wall_clock_ratios(minutes: dict[str, float | None], leader: str, followers: Sequence[str]) -> dict:
    """Each follower's training wall-clock over the leader's (the 'matched at wall-clock too?' check of step-matched
    runs); None where a time is missing: ({"hero": 1.35, "grpo": 1.41}, "hero", ["grpo"]) → {"grpo": 1.41 / 1.35 =
    1.0444}."""
    lead = minutes.get(leader)
    return {f: (round(minutes[f] / lead, 4) if lead and minutes.get(f) is not None else None) for f in followers}


def logged_mean(history: Sequence[dict], key: str) -> float | None:
    """Mean of `key` over the log entries that have it (None when none does): logged_mean([{"w": 1.0}, {"loss": 2},
    {"w": 1.2}], "w") = (1.0 + 1.2) / 2 = 1.1."""
    xs = [float(h[key]) for h in history if isinstance(h.get(key), (int, float))]
    return sum(xs) / len(xs) if xs else None


def from_leader(stage: str, leader: dict) -> dict:
    """The settings `stage` reads from the leader's stage results (FROM_LEADER); RuntimeError when one is missing."""
    import json

    out = {}
    for name, (kind, key) in FROM_LEADER.get(stage, {}).items():
        if kind == "log":
            value = logged_mean(json.loads(Path(leader["log_history"]).read_text()), key)
        else:
            value = leader.get(key)
        if value is None:
            raise RuntimeError(f"{stage}: {STEP_LEADER}'s run has no {key!r} to set {name} from; "
                               f"redo it with `hero demo --force {STEP_LEADER}`")
        out[name] = value
    return out


def _rl(cfg: DemoConfig, out: Path, stage: str, method: str, overrides: dict):
    def fn(d: Path) -> dict:
        from hero.rl.pipeline import run_rl

        limits, matched = {"budget_min": cfg.minutes["rl"]}, {}
        leader = read_done(out / STEP_LEADER) if stage in step_followers(cfg) else None
        if stage in step_followers(cfg) and leader is None:
            raise RuntimeError(f"{stage}: the step leader {STEP_LEADER!r} has not finished; rerun `hero demo` (it "
                               f"trains {STEP_LEADER} first)")
        if leader and leader.get("steps"):  # a leader without a step (0) leaves the follower on its time budget
            limits = {"budget_min": FOLLOWER_CAP * cfg.minutes["rl"], "max_steps": int(leader["steps"])}
            matched = {"matched_to": STEP_LEADER, "max_steps": limits["max_steps"],
                       "budget_cap_min": limits["budget_min"]}
        read = from_leader(stage, leader) if leader else {}
        nli = {"nli_model": str(nli_dir(out))} if cfg.uses_nli and method != "dpo" else {}
        res = run_rl(method, model_dir(out, "sft_cot"), paths(out)["world"], d / "model", seed=cfg.seed,
                     threads=cfg.threads, progress=cfg.progress, **limits, **rl_settings(cfg, method, overrides), **nli, **read)
        return {"train_minutes": res["seconds"] / 60, **matched, **({"from_hero": read} if read else {}),
                **{k: v for k, v in res.items() if _plain(v)}}
    return fn


def _plain(v) -> bool:
    return isinstance(v, (int, float, str, bool)) or v is None


def _trap(cfg: DemoConfig, out: Path, name: str, temperatures: tuple[float, ...], decoding: str = "plain",
          split: str = "test"):
    def fn(d: Path) -> dict:
        from hero.world import pope_path

        model = model_dir(out, name)
        questions = paths(out)["questions"]
        if split != "test":  # as many questions of that split's adversarial POPE file as the test run has
            lines = pope_path(paths(out)["world"], split, "adversarial").read_text().splitlines()
            questions = d / f"{split}_questions.json"
            questions.write_text("\n".join(lines[: cfg.trap_questions]) + "\n")
        res = demo_trap_run(model, questions, paths(out)["world"] / split / "images", d / "run", cfg.level_specs,
                            cfg.seed, temperatures, decoding, cfg.max_new_tokens, cfg.progress)
        return {"summary": str(d / "run" / "summary.json"), "n_samples": res.summary["n_samples"]}
    return fn


def demo_trap_run(model, questions, images, out, specs: Sequence[str], seed: int,
                  temperatures: Sequence[float] = (1.0,), decoding: str = "plain", max_new_tokens: int = 48,
                  progress: bool = False, **confidence):
    """Run (or resume) `hero trap` the way the demo does — the model's own scorer (cot or answer mode, from its
    config), the demo's σ-level specs, noise seed = the demo seed — into the run folder `out`; `confidence`
    (confidence="marginal", confidence_samples=8) is what the benchmark scripts add to a finished demo. Returns
    run_trap's result."""
    from hero.scoring import make_trap_scorer
    from hero.trap.decoding import TrapDecoding
    from hero.trap.run import TrapConfig, run_trap

    dec = TrapDecoding(decoding)
    tc = TrapConfig(model=str(model), questions=str(questions), images=str(images), out=str(out), noise=[],
                    degrade=list(specs), temperatures=list(temperatures), seed=seed, answer_decoding=dec, **confidence)
    scorer = make_trap_scorer(str(model), seed=seed, max_new_tokens=max_new_tokens, **dec.scorer_kwargs())
    return run_trap(tc, scorer, progress=progress)


def _tempscale(out: Path, fit: str, apply: str):
    def fn(d: Path) -> dict:
        from hero.trap.tsrun import TempScaleConfig, run_tempscale

        summary, _ = run_tempscale(TempScaleConfig(fit=str(out / fit / "run"), apply=str(out / apply / "run"),
                                                   out=str(d / "run")))
        return {"summary": str(d / "run" / "summary.json"), "temperature": summary["tempscale"]["temperature"]}
    return fn


TRAP_STAGES = {"SFT+VCD": "trap_sft_cot_vcd", "SFT+TS": "trap_sft_cot_ts"}


def trap_stage(row: str, model: str) -> str:
    """The trap stage of a replication-table row: its own for VCD and temperature scaling, else trap_<model>."""
    return TRAP_STAGES.get(row, f"trap_{model}")


def _eval(cfg: DemoConfig, out: Path, name: str, decoding: dict):
    def fn(d: Path) -> dict:
        from hero.evaluation.world import evaluate_world

        from hero.evaluation.config import CAPTION_PROMPT  # = the world's caption prompt; CHAIR / AMBER ask it too

        model = model_dir(out, name)  # THRONE (rule judge) on the caption prompt the SFT data trains
        evaluate_world(model, paths(out)["world"], d / "run", limit=cfg.eval_limit, progress=cfg.progress,
                       seed=cfg.seed, max_new_tokens=cfg.max_new_tokens, throne=True, throne_prompt=CAPTION_PROMPT,
                       **decoding)
        return {"results": str(d / "run" / "results.json")}
    return fn


# Rows of the replication table: (row name, model stage, trap temperature or None, eval stage suffix, decoding)
def table_rows(cfg: DemoConfig) -> list[tuple[str, str, float | None, str, dict]]:
    rows = [("SFT (CoT)", "sft_cot", 1.0, "sft_cot", {"decoding": "greedy"}),
            ("SFT (answer-only)", "sft_answer", 1.0, "sft_answer", {"decoding": "greedy"}),
            ("SFT+VCD", "sft_cot", 1.0, "sft_cot_vcd", {"decoding": "vcd"}),
            ("SFT+TS", "sft_cot", 1.0, "sft_cot", {"decoding": "greedy"}),  # T scales confidences, not answers
            ("SFT+T=0.5", "sft_cot", 0.5, "sft_cot_t0.5", {"decoding": "sample", "temperature": 0.5}),
            ("SFT+T=1.5", "sft_cot", 1.5, "sft_cot_t1.5", {"decoding": "sample", "temperature": 1.5})]
    names = {"grpo": "GRPO", "hero": "HERO", "dpo": "DPO", "hero_entropy_shuffle": "HERO shuffled H",
             "hero_constant_weight": "HERO constant weight", "hero_fixed_final_beta": "HERO β fixed at final",
             "hero_no_hard_negatives": "HERO w/o hard negatives"}
    for stage, method, _ in rl_methods(cfg):
        rows.append((names.get(stage, stage.replace("hero_no_", "HERO w/o ")), stage, 1.0, stage,
                     {"decoding": "greedy"}))
    return rows


def build_stages(cfg: DemoConfig) -> list[Stage]:
    """Every stage in order, with rough time estimates (seconds) for the ETA."""
    out = Path(cfg.out)
    m = cfg.minutes
    stages = [Stage("world", _world(cfg, out), 3, "build the world (train/val/test) and its POPE files"),
              Stage("init", _init(cfg, out), 2, "initialise the tiny VLM from configs"),
              *([Stage("nli", _nli(cfg, out), min(60 * m["nli"], 40) + 10,
                       "train the world's NLI model (the premise of the RL reward's NLI part)")] if cfg.uses_nli
                else []),
              Stage("sft_cot", _sft(cfg, out, "cot"), 60 * m["sft_cot"] + 5, "CoT-SFT (the trapped model)"),
              Stage("sft_answer", _sft(cfg, out, "answer"), 60 * m["sft_answer"] + 5, "answer-only SFT")]
    for stage, method, ov in training_order(cfg):
        steps = f", {STEP_LEADER}'s step count" if stage in step_followers(cfg) else ""
        stages.append(Stage(stage, _rl(cfg, out, stage, method, ov), 60 * m["rl"] + 10,
                            f"{method} from CoT-SFT {ov or ''}{steps}"))
    trap_models = ["sft_cot", "sft_answer"] + [s for s, _, _ in rl_methods(cfg)]
    for name in trap_models:
        temps = TRAP_TEMPERATURES if name == "sft_cot" else (1.0,)
        stages.append(Stage(f"trap_{name}", _trap(cfg, out, name, temps), 8 if cfg.quick else 25 * len(temps),
                            f"hero trap at σ = 0/30/50, T = {', '.join(map(str, temps))}"))
    stages += [Stage("trap_sft_cot_vcd", _trap(cfg, out, "sft_cot", (1.0,), "vcd"), 8 if cfg.quick else 50,
                     "hero trap --decoding vcd on CoT-SFT (VCD's contrastive answer distribution)"),
               Stage("trap_sft_cot_val", _trap(cfg, out, "sft_cot", (1.0,), split="val"), 8 if cfg.quick else 25,
                     "hero trap on the val split (to fit temperature scaling)"),
               Stage("trap_sft_cot_ts", _tempscale(out, "trap_sft_cot_val", "trap_sft_cot"), 2,
                     "hero trap tempscale: T fitted on the val run, applied to CoT-SFT's test run")]
    seen = set()
    for _, model, _, suffix, dec in table_rows(cfg):
        if suffix in seen:
            continue
        seen.add(suffix)
        stages.append(Stage(f"eval_{suffix}", _eval(cfg, out, model, dec), 8 if cfg.quick else 30,
                            f"POPE, AMBER, CHAIR, THRONE on the test split ({dec['decoding']})"))
    return stages
