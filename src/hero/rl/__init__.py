"""HERO reinforcement learning: entropy-aware weights, variance gate, KL balancer (`core`, `balancer`) and the
TRL adapter (`trainer`, imported lazily: it pulls in torch/transformers/trl)."""
