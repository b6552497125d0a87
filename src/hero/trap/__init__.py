"""`hero trap`: diagnose the Confidence Trap (answer entropy and accuracy under image degradation).

Modules: `metrics` (pure numpy metrics), `summary` (samples → summary dict), `plots` / `report` (HTML and
Markdown reports), `run` (the resumable runner around a pluggable scorer).
"""
