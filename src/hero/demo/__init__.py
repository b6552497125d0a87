"""`hero demo`: the paper's experiment in miniature (world → SFT → GRPO/HERO/DPO → trap, benchmarks → report)."""
