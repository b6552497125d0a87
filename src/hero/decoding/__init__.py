"""Decoding baselines against hallucination: visual contrastive decoding (VCD) and temperature sampling."""
