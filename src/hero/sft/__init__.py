"""Supervised fine-tuning (`hero train sft`): world examples (data.py), batching (collate.py), TRL wiring
(trainer.py), the run and its config (train.py)."""
