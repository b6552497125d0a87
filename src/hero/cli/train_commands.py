"""Placeholder: training commands register on `hero.cli.train.app` here until their own modules exist."""
