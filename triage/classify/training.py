"""Training and cross-validation. Thresholds and calibration come from out-of-fold scores of
grouped folds (campaign copies never straddle a fold), then the model is refitted on all data."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any

import numpy as np

from ..store import TOPICS
from .corpus import Example
from .metrics import evaluate_predictions
from .model import URGENCY_ORDER, Aux, Config, TriageModel, analyse, extra_features

Progress = Callable[[str, float], None]
SG_MIN_PRECISION = 0.8


def _vectorizer(config: Config) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        ngram_range=(1, 2), min_df=config.min_df, max_df=0.9, sublinear_tf=True,
        # No strip_accents: Unicode normalisation of every document cost a third of the
        # transform for no measured accuracy (the mail is English).
        max_features=config.max_features, strip_accents=None, lowercase=True,
        token_pattern=r"(?u)\b\w[\w']*\b", dtype=np.float32,
    )


def _logistic(c: float, seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight="balanced", solver="liblinear", max_iter=2000,
                              random_state=seed)


def _fit_parts(model: TriageModel, examples: Sequence[Example], aux: list[Any]) -> None:
    """Fit vectorizer and every classifier of `model` on `examples` (no thresholds)."""
    config = model.config
    model._names = model._coefs = model._explainable = None  # explanations follow the refit
    inputs = [e.input for e in examples]
    model.vectorizer = _vectorizer(config)
    model.vectorizer.fit([i.main + "\n" + i.quoted for i in inputs])
    model.vectorizer.stop_words_ = None  # large, and only kept for introspection
    text = model.text_matrix(inputs)
    full = model.full_matrix(text, extra_features(inputs, aux))
    for topic in TOPICS:
        y = np.array([topic in e.topics for e in examples], dtype=int)
        model.topic_models[topic] = _logistic(config.topic_c, config.seed).fit(text, y)
    levels = np.array([URGENCY_ORDER.index(e.urgency) for e in examples])
    model.urgency_models = [
        _logistic(config.urgency_c, config.seed).fit(full, (levels > k).astype(int)) for k in range(3)
    ]
    y_sg = np.array([e.safeguarding for e in examples], dtype=int)
    # Text only: with the lexicon's features it would learn "lexicon hit" and add nothing;
    # on text it learns the risk vocabulary the lexicon has no phrase for.
    model.safeguarding_model = _logistic(config.safeguarding_c, config.seed).fit(text, y_sg)


def _platt(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e6, solver="lbfgs").fit(scores.reshape(-1, 1), y)
    return float(lr.coef_[0][0]), float(lr.intercept_[0])


def _best_f1_threshold(p: np.ndarray, y: np.ndarray) -> float:
    best, best_t = -1.0, 0.5
    for t in np.unique(np.round(p, 3)):
        pred = p >= t
        tp = float(np.sum(pred & (y == 1)))
        f1 = 2 * tp / max(1.0, float(np.sum(pred) + np.sum(y == 1)))
        if f1 > best:
            best, best_t = f1, float(t)
    return best_t


class Cancelled(Exception):
    """The person cancelled the training; nothing was saved."""


Folds = list[tuple[np.ndarray, np.ndarray]]


def make_folds(examples: Sequence[Example], folds: int, seed: int) -> Folds:
    """Grouped, stratified folds: campaign copies (one group) never straddle a fold, and every
    fold gets its share of safeguarding cases (rarest, and what matters most)."""
    from sklearn.model_selection import StratifiedGroupKFold

    groups = np.array([e.group for e in examples])
    strata = np.array([2 if e.safeguarding else (1 if e.topics else 0) for e in examples])
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    n = len(examples)
    return [(np.asarray(a), np.asarray(b)) for a, b in splitter.split(np.zeros(n), strata, groups)]


def cross_validate(examples: Sequence[Example], config: Config, folds: int | Folds = 5,
                   progress: Progress | None = None, *,
                   trainable: Sequence[Example | None] | None = None,
                   aux: list[Aux] | None = None, reasons: bool = False,
                   cancelled: Callable[[], bool] | None = None,
                   span: tuple[float, float] = (0.0, 1.0), jobs: int | None = None) -> dict[str, Any]:
    """Out-of-fold raw scores for every example. `trainable[i]` (default: the examples) is what
    a fold may train on in place of example i, None to leave it out: that is how another
    model's recipe (its own training labels) is scored on the same folds. With `reasons`, the
    fold model also says which phrases drove each topic score."""
    aux = aux if aux is not None else analyse([e.input for e in examples])
    fold_list = make_folds(examples, folds, config.seed) if isinstance(folds, int) else folds
    trainable = list(examples) if trainable is None else list(trainable)
    n = len(examples)
    raw_topic = {t: np.zeros(n) for t in TOPICS}
    urgency_p = np.zeros((n, 4))
    sg_p = np.zeros(n)
    fold_of = np.zeros(n, dtype=int)
    why: list[dict[str, Any]] = [{} for _ in range(n)]
    k_total = len(fold_list)
    tasks = []
    for train_idx, test_idx in fold_list:
        kept = [i for i in train_idx if trainable[i] is not None]
        tasks.append((config, [trainable[i] for i in kept], [aux[i] for i in kept],
                      [examples[i].input for i in test_idx], [aux[i] for i in test_idx], reasons))
    if progress:
        progress(f"cross-validation: {k_total} folds", span[0])
    results = _map_folds(tasks, jobs)
    try:
        for k, part in results:
            if cancelled and cancelled():
                raise Cancelled()
            test_idx = fold_list[k][1]
            for topic in TOPICS:
                raw_topic[topic][test_idx] = part["raw_topic"][topic]
            urgency_p[test_idx] = part["urgency_p"]
            sg_p[test_idx] = part["sg_p"]
            fold_of[test_idx] = k
            for j, i in enumerate(test_idx):
                why[i] = part["why"][j]
            if progress:
                progress(f"cross-validation: {k + 1} of {k_total} folds done",
                         span[0] + (span[1] - span[0]) * (k + 1) / k_total)
    finally:
        results.close()
    return {"aux": aux, "raw_topic": raw_topic, "urgency_p": urgency_p, "sg_p": sg_p, "fold": fold_of,
            "reasons": why}


def _fold(config: Config, train: list[Example], train_aux: list[Aux], test: list[Any],
          test_aux: list[Aux], reasons: bool) -> dict[str, Any]:
    """One fold: fit on `train`, score `test` (raw topic scores, urgency and safeguarding
    probabilities, and with `reasons` the phrases behind each topic score)."""
    part = TriageModel(config)
    _fit_parts(part, train, train_aux)
    text = part.text_matrix(test)
    full = part.full_matrix(text, extra_features(test, test_aux))
    return {
        "raw_topic": {t: part.topic_models[t].decision_function(text) for t in TOPICS},
        "urgency_p": part.urgency_probabilities(full),
        "sg_p": part.safeguarding_model.predict_proba(text)[:, 1],
        "why": part.topic_reasons(text, k=4) if reasons else [{} for _ in range(len(test))],
    }


PARALLEL_FROM = 4000  # training messages in a fold


def default_jobs() -> int:
    """Folds are independent: one process per core, at most two (a laptop has little more to
    spare; the results do not depend on it)."""
    import os

    return max(1, min(2, os.cpu_count() or 1))


_pool_used = False


def _map_folds(tasks: list[tuple[Any, ...]], jobs: int | None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(fold number, result) as folds finish, in order; in worker processes when jobs > 1."""
    global _pool_used
    if jobs is None:
        # Starting workers costs seconds: worth it only for a big training set (measured: 1,135
        # messages 14 s serial, 20 s on two workers; 6,130 messages 56 s serial, 41 s on two).
        jobs = default_jobs() if sum(len(t[1]) for t in tasks[:1]) >= PARALLEL_FROM else 1
    if jobs <= 1 or len(tasks) <= 1:
        for k, task in enumerate(tasks):
            yield k, _fold(*task)
        return
    from joblib import Parallel, delayed

    _pool_used = True
    results = Parallel(n_jobs=jobs, return_as="generator")(delayed(_fold)(*task) for task in tasks)
    try:
        yield from enumerate(results)
    finally:
        with warnings.catch_warnings():  # on a cancel joblib notes the folds it dropped: meant
            warnings.simplefilter("ignore", UserWarning)
            results.close()


@contextmanager
def fold_workers() -> Iterator[None]:
    """Around a training job: the fold workers are kept between its cross-validations (joblib
    reuses them) and stopped at its end; left alone, two 140 MB processes lingered for
    minutes after a retrain."""
    global _pool_used
    try:
        yield
    finally:
        if _pool_used:
            from joblib.externals.loky import get_reusable_executor

            get_reusable_executor().shutdown(wait=True)
            _pool_used = False


def choose_decisions(examples: Sequence[Example], oof: dict[str, Any], model: TriageModel) -> None:
    """Calibration, topic thresholds and the safeguarding threshold from out-of-fold scores."""
    for topic in TOPICS:
        y = np.array([topic in e.topics for e in examples], dtype=int)
        a, b = _platt(oof["raw_topic"][topic], y)
        model.topic_calibration[topic] = (a, b)
        p = 1 / (1 + np.exp(-(a * oof["raw_topic"][topic] + b)))
        model.topic_thresholds[topic] = _best_f1_threshold(p, y)
    y_sg = np.array([e.safeguarding for e in examples])
    lexicon_hit = np.array([bool(a.counted) for a in oof["aux"]])
    p = oof["sg_p"]
    # Recall first: the model catches what the lexicon has no phrase for. Take the lowest
    # threshold at which lexicon-or-model keeps out-of-fold precision at SG_MIN_PRECISION...
    chosen = 0.5
    for t in np.arange(0.05, 0.951, 0.01):
        flagged = lexicon_hit | (p >= t)
        if flagged.sum() and (flagged & y_sg).sum() / flagged.sum() >= SG_MIN_PRECISION:
            chosen = float(t)
            break
    # ...and never above what catches every out-of-fold case the lexicon missed (with a
    # margin: an unseen case will not score exactly like the weakest seen one).
    missed = p[y_sg & ~lexicon_hit]
    if missed.size:
        chosen = min(chosen, float(0.8 * missed.min()))
    model.safeguarding_threshold = round(chosen, 3)


def oof_predictions(examples: Sequence[Example], oof: dict[str, Any], model: TriageModel) -> list[dict[str, Any]]:
    """Turn out-of-fold scores into predictions with the chosen decisions (no reasons)."""
    out = []
    for i, e in enumerate(examples):
        scores = {}
        for t in TOPICS:
            a, b = model.topic_calibration[t]
            scores[t] = float(1 / (1 + np.exp(-(a * oof["raw_topic"][t][i] + b))))
        out.append(model._decide(i, e.input, oof["aux"][i], None, scores, oof["urgency_p"][i],
                                 float(oof["sg_p"][i])))
    return out


def fit_model(examples: Sequence[Example], config: Config | None = None, *, folds: int = 5,
              progress: Progress | None = None,
              cancelled: Callable[[], bool] | None = None) -> tuple[TriageModel, dict[str, Any]]:
    """Cross-validate, choose decisions, refit on everything. Returns the model and the
    cross-validated report (computed before the refit, so it is honest)."""
    config = config or Config()
    train = [e for e in examples if e.split != "test"]
    if len(train) < 50:
        raise ValueError(f"need at least 50 labelled messages to train, have {len(train)}")
    model = TriageModel(config)
    with fold_workers():
        oof = cross_validate(train, config, folds, progress, cancelled=cancelled, span=(0.0, folds / (folds + 1)))
    choose_decisions(train, oof, model)
    report = evaluate_predictions(train, oof_predictions(train, oof, model))
    if progress:
        progress("fitting the final model on all messages", folds / (folds + 1))
    _fit_parts(model, train, oof["aux"])
    model.version = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    report["config"] = asdict(config)
    report["thresholds"] = {**model.topic_thresholds, "safeguarding": model.safeguarding_threshold}
    report["training_messages"] = len(train)
    if progress:
        progress("done", 1.0)
    return model, report
