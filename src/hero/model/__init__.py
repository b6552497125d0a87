"""HERO's tiny VLMs: build from configs (build.py), word-level tokenizer + chat template (tokenizer.py), load with
validation (load.py)."""
