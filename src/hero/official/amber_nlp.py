"""AMBER's NLP steps: the official tools where they are installed, offline stand-ins otherwise (official: NLTK
``word_tokenize`` + ``pos_tag`` + WordNet lemmatizer for nouns, spaCy ``en_core_web_lg`` for word similarity).

`select_tools` decides per step, cheaply (a file lookup in NLTK's data path, a package lookup for the spaCy
model; nothing is loaded): NLTK's ``punkt_tab`` → ``nltk.word_tokenize``; ``averaged_perceptron_tagger_eng`` →
``nltk.pos_tag``; ``wordnet`` → ``WordNetLemmatizer``; the ``en_core_web_lg`` package → similarity with it (unless
a model is named). With all four the pipeline is the official one exactly. The scores record the choice under
``tokenizer``, ``tagger``, ``lemmatizer`` and ``similarity_model``.

Deviations of the stand-ins from the official ``inference.py`` (all also listed in docs/benchmarks.md):

1. Tokens: `hero.official.text.word_tokenize` (NLTK's Treebank word rules; sentences split by an untrained
   punkt, so "Mr." becomes "Mr" + ".").
2. POS tags: spaCy ``en_core_web_md``'s tagger run on those tokens, in place of NLTK's averaged-perceptron
   tagger (not on PyPI). Both emit Penn Treebank tags; nouns are tokens whose tag starts with ``NN``, as in the
   official code. Tagging can differ on some tokens, which can add or drop a noun.
3. Lemmas: NLTK's ``WordNetLemmatizer().lemmatize(w)`` re-implemented exactly (morphy for nouns: exception list,
   then the noun suffix rules, repeated until a WordNet noun is found; shortest candidate wins; case-sensitive,
   so "Trees" stays "Trees") over the WordNet noun tables that ship inside the spaCy pipeline (57 528 single-word
   noun lemmas, 2 050 exceptions — WordNet 3.0 without multi-word entries). A word missing from those tables
   stays as it is.
4. Similarity: ``nlp(a).similarity(nlp(b))`` exactly as the official code computes it (cosine of averaged static
   word vectors; identical token strings give 1.0; no vector gives 0.0), but with ``en_core_web_md`` by default:
   same vectors as ``en_core_web_lg`` for most words, while 102 of AMBER's 418 words (list in
   ``amber/vocab_md_status.json``) map to a neighbour's vector row, so a similarity decision can flip for them.
   A user who has ``en_core_web_lg`` installed passes ``similarity_model="en_core_web_lg"`` and gets the official
   similarities.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from hero.official.text import DEFAULT_SPACY_MODEL, load_spacy, word_tokenize

OFFICIAL_SIMILARITY_MODEL = "en_core_web_lg"
NLTK_RESOURCES = {"tokenizer": "tokenizers/punkt_tab/english/", "tagger": "taggers/averaged_perceptron_tagger_eng/",
                  "lemmatizer": "corpora/wordnet"}
OFFICIAL = {"tokenizer": "nltk.word_tokenize (punkt_tab)", "tagger": "nltk.pos_tag (averaged_perceptron_tagger_eng)",
            "lemmatizer": "nltk WordNetLemmatizer (wordnet)"}
SUBSTITUTE = {"tokenizer": "substitute: NLTK Treebank rules, untrained punkt",
              "tagger": f"substitute: spaCy {DEFAULT_SPACY_MODEL} tagger",
              "lemmatizer": f"substitute: WordNet noun tables of spaCy {DEFAULT_SPACY_MODEL}"}


@dataclass(frozen=True)
class AmberTools:
    """What AMBER's generative part runs with (the names recorded in the scores)."""

    tokenizer: str
    tagger: str
    lemmatizer: str
    similarity_model: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def official(self, step: str) -> bool:
        """Whether `step` (tokenizer / tagger / lemmatizer) uses the official NLTK tool."""
        return getattr(self, step) == OFFICIAL[step]


def nltk_has(resource: str) -> bool:
    """Whether NLTK and its data `resource` (e.g. 'corpora/wordnet', also zipped) are installed."""
    try:
        import nltk

        nltk.data.find(resource)
    except (ImportError, LookupError, OSError, ValueError):
        return False
    return True


def spacy_has(model: str) -> bool:
    """Whether the spaCy model package `model` is installed (looked up, not loaded)."""
    try:
        return importlib.util.find_spec(model) is not None
    except (ImportError, ValueError):
        return False


def select_tools(similarity_model: str | None = None) -> AmberTools:
    """The official tool for each step where installed, else the stand-in; `similarity_model` None = the
    official en_core_web_lg if installed, else en_core_web_md."""
    steps = {step: (OFFICIAL if nltk_has(res) else SUBSTITUTE)[step] for step, res in NLTK_RESOURCES.items()}
    if similarity_model is None:
        similarity_model = (OFFICIAL_SIMILARITY_MODEL if spacy_has(OFFICIAL_SIMILARITY_MODEL)
                            else DEFAULT_SPACY_MODEL)
    return AmberTools(**steps, similarity_model=similarity_model)


class WordNetNounLemmatizer:
    """NLTK's ``WordNetLemmatizer().lemmatize(word)`` (pos='n') over given WordNet noun tables.

    `index`: noun lemmas; `exceptions`: irregular form -> base forms; `rules`: morphy's (suffix, replacement) list.
    """

    def __init__(self, index, exceptions: dict, rules: Sequence[Sequence[str]]):
        self.index = frozenset(index)
        self.exceptions = dict(exceptions)
        self.rules = [(old, new) for old, new in rules]

    def _apply_rules(self, forms: list[str]) -> list[str]:
        return [f[: len(f) - len(old)] + new for f in forms for old, new in self.rules if f.endswith(old)]

    def _filter(self, forms: list[str]) -> list[str]:
        out: list[str] = []
        for f in forms:
            if f in self.index and f not in out:
                out.append(f)
        return out

    def morphy(self, form: str) -> list[str]:
        """WordNet's morphy for nouns: every base form found, in NLTK's order."""
        if form in self.exceptions:
            return self._filter([form] + list(self.exceptions[form]))
        forms = self._apply_rules([form])
        results = self._filter([form] + forms)
        if results:
            return results
        while forms:
            forms = self._apply_rules(forms)
            results = self._filter(forms)
            if results:
                return results
        return []

    def lemmatize(self, word: str) -> str:
        """Shortest morphy candidate, or the word itself ("geese" -> "goose", "Trees" -> "Trees")."""
        lemmas = self.morphy(word)
        return min(lemmas, key=len) if lemmas else word


@functools.lru_cache(maxsize=2)
def wordnet_lemmatizer(model: str = DEFAULT_SPACY_MODEL) -> WordNetNounLemmatizer:
    """The WordNet noun tables shipped in the spaCy pipeline's rule lemmatizer."""
    lookups = load_spacy(model).get_pipe("lemmatizer").lookups
    return WordNetNounLemmatizer(lookups.get_table("lemma_index")["noun"],
                                 lookups.get_table("lemma_exc")["noun"],
                                 lookups.get_table("lemma_rules")["noun"])


def _spacy_tags(tokens: list[list[str]], model: str) -> list[list[str]]:
    """Penn Treebank tags of pre-tokenized texts by the spaCy pipeline's tagger."""
    from spacy.tokens import Doc

    nlp = load_spacy(model)
    tagger_only = [name for name in nlp.pipe_names if name not in ("tok2vec", "tagger")]
    docs = [Doc(nlp.vocab, words=t) for t in tokens]
    with nlp.select_pipes(disable=tagger_only):
        return [[tok.tag_ for tok in doc] for doc in nlp.pipe(docs, batch_size=64)]


def _steps(tools: AmberTools, model: str):
    """(tokenize, tag a batch of token lists, lemmatize) for `tools`."""
    import nltk

    tokenize = nltk.word_tokenize if tools.official("tokenizer") else word_tokenize
    if tools.official("tagger"):
        def tag(batch):
            return [[t for _, t in nltk.pos_tag(tokens)] for tokens in batch]
    else:
        def tag(batch):
            return _spacy_tags(batch, model)
    if tools.official("lemmatizer"):
        from nltk.stem import WordNetLemmatizer

        lemmatize = WordNetLemmatizer().lemmatize
    else:
        lemmatize = wordnet_lemmatizer(model).lemmatize
    return tokenize, tag, lemmatize


def extract_nouns_batch(texts: Sequence[str], model: str = DEFAULT_SPACY_MODEL,
                        tools: AmberTools | None = None) -> list[list[str]]:
    """For each text: lemmas of the tokens tagged NN* (the official ``extract_nouns``), in token order, with
    `tools` (default: every stand-in; spaCy `model` serves the stand-in tagger and lemma tables)."""
    tools = tools or AmberTools(**SUBSTITUTE, similarity_model=model)
    tokenize, tag, lemmatize = _steps(tools, model)
    tokens = [tokenize(t) for t in texts]
    return [[lemmatize(w) for w, t in zip(toks, tags) if t.startswith("NN")]
            for toks, tags in zip(tokens, tag(tokens))]


def make_similarity(model: str = DEFAULT_SPACY_MODEL, threshold: float = 0.8) -> Callable[[str, str], bool]:
    """``similar(a, b)`` = ``nlp(a).similarity(nlp(b)) > threshold`` (the official ``check_synonyms_word``),
    cached per word pair. Only the tokenizer runs: similarity depends only on static vectors."""
    nlp = load_spacy(model)
    docs: dict[str, object] = {}

    def doc(word: str):
        if word not in docs:
            docs[word] = nlp.make_doc(word)
        return docs[word]

    @functools.lru_cache(maxsize=None)
    def similar(a: str, b: str) -> bool:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # W008 "no word vector" — the official script silences it too
            return doc(a).similarity(doc(b)) > threshold

    return similar
