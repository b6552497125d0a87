"""RL / DPO prompt rows from a `--data` file (`hero train grpo|hero|dpo --data FILE --images DIR`): the rows of
`hero.data.rows`, validated with every image opened before any model loads, checked to hold the columns the run
reads (the yes_no reward and DPO's pairs read `answer`, the nli reward reads `reference`), then shaped like the
world's prompt rows (`hero.rl.world_data`) so the same dataset, rendering and trainers serve both sources. A row
may list several images (one placeholder each in its prompt) for grpo / hero; dpo refuses such a row, since it
samples its pairs through hero.scoring, which encodes one image per prompt."""

from __future__ import annotations

from hero.data.training import load_training_rows, need_columns, one_image_per_row, reward_needs, rl_rows
from hero.rl.settings import RLRunConfig


def file_prompt_rows(run: RLRunConfig) -> list[dict]:
    """The run's prompt rows from run.data (first run.max_images rows if > 0), degradation specs drawn per row."""
    rows = load_training_rows(run.data, run.images, run.allow_outside_images)[: run.max_images or None]
    if run.method == "dpo":
        need_columns(rows, answer=True, reference=False, why="dpo (right/wrong pairs by the exact verifier)")
        one_image_per_row(rows, "dpo samples its pairs through hero.scoring, which encodes one image per prompt")
    else:
        answers, references = reward_needs(run.reward)
        need_columns(rows, answers, references, f"reward {run.reward!r}")
    return rl_rows(rows, run.sigmas, run.degrade, run.seed)
