"""Official benchmark definitions: POPE / AMBER / CHAIR / THRONE data formats, the POPE builder, metrics identical to
the official scripts, one config per benchmark (`configs`) and the benchmark registry (`registry`). Named apart from
the top-level `benchmarks/` folder, which holds speed and accuracy measurement scripts."""
