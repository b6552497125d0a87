"""HERO: entropy-aware reinforcement learning against confident hallucination in VLMs."""

__version__ = "0.1.0"
