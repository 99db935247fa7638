"""Saving and loading models in a safe format: skops, with an explicit list of trusted types,
never pickle. A model file travels with a model card (JSON) naming its version, training data,
library versions, thresholds and cross-validated metrics; loading checks both."""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .model import Config, TriageModel

FORMAT = "triage-desk-model/1"
# Every type a Triage Desk model file may contain. Anything else in a file is refused.
TRUSTED_TYPES = [
    "sklearn.linear_model._logistic.LogisticRegression",
    "numpy.float32",
    "numpy.float64",
    "numpy.int64",
    "numpy.dtype",
    "builtins.slice",
    "re.Pattern",
]


class ModelFileError(Exception):
    """The model file cannot be used; the message says why, for the user."""


def library_versions() -> dict[str, str]:
    import numpy
    import scipy
    import sklearn
    import skops

    return {"scikit-learn": sklearn.__version__, "numpy": numpy.__version__,
            "scipy": scipy.__version__, "skops": skops.__version__,
            "python": platform.python_version()}


def installed_versions() -> dict[str, str]:
    """The versions check_card compares, read without importing the libraries (scikit-learn
    alone takes about a second to import)."""
    from importlib.metadata import version

    return {lib: version(lib) for lib in ("scikit-learn", "numpy", "skops")}


def card_path(model_path: Path) -> Path:
    return model_path.with_suffix(".card.json")


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_model(model: TriageModel, path: Path, card: dict[str, Any]) -> dict[str, Any]:
    """Write the model and its card. Returns the card as written."""
    import skops.io as sio

    state = {
        "format": FORMAT,
        "version": model.version,
        "config": asdict(model.config),
        # The vocabulary as two arrays, not a 60,000-entry dict: skops stores a dict item by
        # item, which made loading take seconds.
        "vocabulary_terms": _vocabulary_terms(model.vectorizer),
        "idf": model.vectorizer.idf_.astype("float32"),
        "vectorizer_params": _vectorizer_params(model.vectorizer),
        "topic_models": model.topic_models,
        "topic_calibration": {k: list(v) for k, v in model.topic_calibration.items()},
        "topic_thresholds": model.topic_thresholds,
        "urgency_models": model.urgency_models,
        "safeguarding_model": model.safeguarding_model,
        "safeguarding_threshold": model.safeguarding_threshold,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    sio.dump(state, tmp)
    tmp.replace(path)
    full_card = {
        "format": FORMAT,
        "version": model.version,
        **card,
        "libraries": library_versions(),
        "thresholds": {**model.topic_thresholds, "safeguarding": model.safeguarding_threshold},
        "config": asdict(model.config),
        "model_file_sha256": file_sha256(path),
    }
    card_path(path).write_text(json.dumps(full_card, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return full_card


def read_card(path: Path) -> dict[str, Any]:
    cpath = card_path(path)
    try:
        card = json.loads(cpath.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFileError(f"no model card beside {path.name} (expected {cpath.name})") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"unreadable model card {cpath.name}: {exc}") from exc
    if card.get("format") != FORMAT:
        raise ModelFileError(f"{cpath.name} is not a Triage Desk model card (format {card.get('format')!r})")
    return card


def check_card(path: Path, card: dict[str, Any]) -> None:
    if not path.exists():
        raise ModelFileError(f"no model file at {path}")
    if card.get("model_file_sha256") != file_sha256(path):
        raise ModelFileError(f"{path.name} does not match its model card (changed or damaged file)")
    ours = installed_versions()
    theirs = card.get("libraries", {})
    for lib in ("scikit-learn", "numpy", "skops"):
        mine, made = ours[lib], str(theirs.get(lib))
        # numpy and skops: same major.minor; scikit-learn: exact (its models are not portable).
        same = mine == made if lib == "scikit-learn" else mine.split(".")[:2] == made.split(".")[:2]
        if not same:
            raise ModelFileError(
                f"{path.name} was made with {lib} {made}; this installation has {mine}. "
                "Retrain the model here (triage train) or install the matching version.")


def check_model_file(path: Path) -> dict[str, Any]:
    """The checks that need no scikit-learn: the card, the file's hash against it, the library
    versions. load_model does these and then refuses unknown types."""
    card = read_card(path)
    check_card(path, card)
    return card


def load_model(path: Path) -> tuple[TriageModel, dict[str, Any]]:
    """Load a model file after checking its card, types and library versions."""
    import skops.io as sio

    card = check_model_file(path)
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # a damaged or foreign zip
        raise ModelFileError(f"{path.name} is not a readable model file: {exc}") from exc
    unknown = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if unknown:
        raise ModelFileError(f"{path.name} contains types Triage Desk does not trust: {', '.join(unknown)}")
    try:
        state = sio.load(path, trusted=TRUSTED_TYPES)
    except Exception as exc:
        raise ModelFileError(f"{path.name} could not be loaded safely: {exc}") from exc
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ModelFileError(f"{path.name} is not a Triage Desk model")
    known = set(Config.__dataclass_fields__)
    model = TriageModel(Config(**{k: v for k, v in state["config"].items() if k in known}))
    model.version = str(state["version"])
    model.vectorizer = _rebuild_vectorizer(state["vectorizer_params"], state["vocabulary_terms"], state["idf"])
    model.topic_models = dict(state["topic_models"])
    model.topic_calibration = {k: (float(v[0]), float(v[1])) for k, v in state["topic_calibration"].items()}
    model.topic_thresholds = {k: float(v) for k, v in state["topic_thresholds"].items()}
    model.urgency_models = list(state["urgency_models"])
    model.safeguarding_model = state["safeguarding_model"]
    model.safeguarding_threshold = float(state["safeguarding_threshold"])
    if model.version != card.get("version"):
        raise ModelFileError(f"{path.name} is version {model.version} but its card says {card.get('version')}")
    return model, card


_VECTORIZER_PARAMS = ("ngram_range", "min_df", "max_df", "sublinear_tf", "max_features",
                      "strip_accents", "lowercase", "token_pattern", "norm", "use_idf", "smooth_idf")


def _vectorizer_params(vectorizer: Any) -> dict[str, Any]:
    params = vectorizer.get_params()
    out = {k: params[k] for k in _VECTORIZER_PARAMS}
    out["ngram_range"] = list(out["ngram_range"])
    return out


def _vocabulary_terms(vectorizer: Any) -> Any:
    import numpy as np

    terms = [""] * len(vectorizer.vocabulary_)
    for term, index in vectorizer.vocabulary_.items():
        terms[index] = term
    return np.array(terms, dtype=str)


def _rebuild_vectorizer(params: dict[str, Any], terms: Any, idf: Any) -> Any:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    kwargs = {k: params[k] for k in _VECTORIZER_PARAMS}
    kwargs["ngram_range"] = tuple(kwargs["ngram_range"])
    vectorizer = TfidfVectorizer(dtype=np.float32, **kwargs)
    vectorizer.vocabulary_ = {str(t): i for i, t in enumerate(terms.tolist())}
    vectorizer.fixed_vocabulary_ = True
    vectorizer.idf_ = np.asarray(idf, dtype=np.float64)
    return vectorizer


def default_model_path() -> Path:
    return Path(__file__).resolve().parent.parent / "data" / "default_model.skops"
