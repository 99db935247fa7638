"""The fast TF-IDF transform must give scikit-learn's matrix, or hand the work to scikit-learn."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from triage.classify.features import (
    _EQUIVALENT_PATTERNS,
    WordNgramTfidf,
    _make_tokenizer,
)

CORPUS_DIR = Path(__file__).resolve().parent.parent / "models" / "corpus"

TRICKY = [
    "", "   ", "a", "the the the the", "Don't won't parents' 'quoted' ''x'' a''b rock'n'roll",
    "Ünïcode ß café naïve — dashes…", "1/2/2026 14th 3rd £300 50% e-mail", "x\n\ny\tz\r\nw",
    "his EHCP his EHCP his EHCP", "_under_score_ __init__", "ALL CAPS SHOUTING HEARING",
]


def corpus_texts() -> list[str]:
    from triage.classify.corpus import load_corpus

    return [f"{e.input.subject}\n{e.input.new_text}\n{e.input.quoted_text}" for e in load_corpus(CORPUS_DIR)]


@pytest.mark.parametrize("ngrams", [(1, 2), (1, 1)])
@pytest.mark.parametrize("sublinear", [True, False])
def test_same_matrix_as_scikit_learn(ngrams: tuple[int, int], sublinear: bool) -> None:
    texts = corpus_texts()
    vectorizer = TfidfVectorizer(ngram_range=ngrams, sublinear_tf=sublinear, min_df=2, max_features=20000,
                                 token_pattern=r"(?u)\b\w[\w']*\b", dtype=np.float32).fit(texts[:900])
    fast = WordNgramTfidf(vectorizer)
    assert fast.fast
    docs = texts[900:] + TRICKY
    ours, theirs = fast.transform(docs), vectorizer.transform(docs)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    assert (ours.indptr == theirs.indptr).all() and (ours.indices == theirs.indices).all()
    assert np.allclose(ours.toarray(), theirs.toarray(), rtol=1e-5, atol=1e-7)
    assert ours.nnz > 1000  # the comparison covered real features, not empty rows


def test_the_faster_tokenizers_find_the_same_tokens() -> None:
    texts = corpus_texts() + TRICKY + ["'''", "ab'", "\x00\x1f\x7f x", "tab\tsep\x0bvt\x1cfs", "O'Neill's'"]
    assert sum(t.isascii() for t in texts) > 1000 and sum(not t.isascii() for t in texts) > 100
    for slow, quick in _EQUIVALENT_PATTERNS.items():
        tokens = _make_tokenizer(slow)
        for text in texts:
            expected = re.findall(slow, text.lower())
            assert re.findall(quick, text.lower()) == expected, text[:80]
            assert tokens(text.lower()) == expected, text[:80]


def test_options_it_does_not_reproduce_go_to_scikit_learn() -> None:
    texts = corpus_texts()[:300]
    for vectorizer in (TfidfVectorizer(stop_words="english").fit(texts),
                       TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 4)).fit(texts),
                       TfidfVectorizer(strip_accents="unicode").fit(texts),
                       TfidfVectorizer(binary=True).fit(texts)):
        fast = WordNgramTfidf(vectorizer)
        assert not fast.fast
        assert (fast.transform(TRICKY) != vectorizer.transform(TRICKY)).nnz == 0


def test_topic_reasons_are_each_rows_strongest_phrases_ties_in_column_order() -> None:
    """The batched top-k (a partition, then a small sort) against a plain sort of each row,
    on values with many exact ties."""
    from scipy.sparse import random as sparse_random

    from triage.classify.model import Config, TriageModel
    from triage.store import TOPICS

    rng = np.random.default_rng(7)
    n, vocab = 60, 400
    text = sparse_random(n, vocab, density=0.08, format="csr", random_state=7, dtype=np.float64)
    text.data = np.round(text.data * 4) / 4 + 0.25  # few distinct values: ties everywhere
    model = TriageModel(Config())
    model._names = [f"term{j}" for j in range(vocab)]
    model._coefs = np.round(rng.normal(size=(len(TOPICS), vocab)) * 2) / 2
    model._explainable = rng.random(vocab) > 0.1
    for k in (1, 3, 6):
        got = model.topic_reasons(text, k=k)
        for i in range(n):
            cols = text.indices[text.indptr[i]:text.indptr[i + 1]]
            vals = text.data[text.indptr[i]:text.indptr[i + 1]]
            for t, topic in enumerate(TOPICS):
                scored = [(-(model._coefs[t, j] * v), j) for j, v in zip(cols, vals)
                          if model._explainable[j] and model._coefs[t, j] * v > 0]
                expected = [[f"term{j}", round(-s, 3)] for s, j in sorted(scored)[:k]]
                assert got[i][topic] == expected, (k, i, topic)
    assert any(len(r[t]) == 6 for r in model.topic_reasons(text) for t in TOPICS)
