"""Temperature scaling (Guo et al. 2017) of a run's model, fitted on its validation scores.

Everything here works on stored class probabilities (`evaluation/<model>-<split>.csv`), so it
needs no TensorFlow: a softmax's logits are its log-probabilities up to a constant per image,
and a sigmoid's logit is log(p / (1 - p)); dividing them by the temperature T and applying the
activation again gives the calibrated probabilities. T > 0 never changes the predicted class.

The temperature minimises the validation negative log-likelihood. On a small validation split
the 15-bin expected calibration error (ECE) is noisy and the NLL optimum can raise it; then the
temperature with the lowest validation ECE on a log grid (which holds T = 1) is taken instead,
and `fit` in the file says which rule chose it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ftgui.core.analysis.evaluation_files import EVALUATION_DIR, Evaluation
from ftgui.core.errors import UserError
from ftgui.core.files import write_failure, write_run_file

if TYPE_CHECKING:
    import numpy as np

BINS = 15
SMALLEST = 1e-7  # probabilities are clipped to [SMALLEST, 1 - SMALLEST] before taking logits
T_RANGE = (0.05, 20.0)
GRID = 241  # temperatures on a log grid over T_RANGE for the ECE fallback (T = 1 is one)
FIT_NLL, FIT_ECE = "nll", "ece"


@dataclass(frozen=True)
class Bin:
    """One confidence bin of a reliability diagram, before and after calibration."""

    lower: float
    upper: float
    count: int  # images whose confidence falls in [lower, upper)
    confidence: float  # their mean confidence (0 when empty)
    accuracy: float  # the share of them predicted right (0 when empty)
    count_calibrated: int
    confidence_calibrated: float
    accuracy_calibrated: float


@dataclass(frozen=True)
class SplitCalibration:
    """ECE and NLL of one split before and after the temperature."""

    split: str
    images: int
    accuracy: float
    ece_before: float
    ece_after: float
    nll_before: float
    nll_after: float
    bins: list[Bin] = field(default_factory=list)


@dataclass(frozen=True)
class Calibration:
    """`evaluation/<model>-calibration.json`: the temperature and what it does."""

    model: str
    temperature: float
    fit: str  # FIT_NLL or FIT_ECE
    ece_before: float  # on validation (the split the temperature was fitted on)
    ece_after: float
    bins: list[Bin]  # validation's reliability diagram
    validation: SplitCalibration
    test: SplitCalibration | None  # held out from the fit


# ---- the arithmetic -------------------------------------------------------------------------


def logits(probabilities: np.ndarray) -> np.ndarray:
    """Logits (up to a constant per row) of per-class probabilities; two columns (1 - p, p)
    from a sigmoid give one column, the sigmoid's logit."""
    import numpy as np

    p = np.clip(np.asarray(probabilities, dtype=np.float64), SMALLEST, 1.0 - SMALLEST)
    if p.shape[1] == 2 and np.allclose(p.sum(axis=1), 1.0, atol=1e-5):
        return (np.log(p[:, 1]) - np.log(p[:, 0]))[:, None]
    return np.log(p)


def scaled(logit: np.ndarray, temperature: float) -> np.ndarray:
    """Per-class probabilities of `logit / temperature` (one column: a sigmoid's, as two)."""
    import numpy as np

    z = logit / temperature
    if z.shape[1] == 1:
        p = 1.0 / (1.0 + np.exp(-z[:, 0]))
        return np.stack([1.0 - p, p], axis=1)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def calibrated(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """The calibrated per-class probabilities; the most probable class stays the same."""
    import numpy as np

    if temperature == 1.0:
        return np.asarray(probabilities, dtype=np.float64)
    return scaled(logits(probabilities), temperature)


def nll(probabilities: np.ndarray, labels: np.ndarray) -> float:
    import numpy as np

    picked = probabilities[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(np.clip(picked, 1e-300, None))))


def reliability(probabilities: np.ndarray, labels: np.ndarray) -> tuple[float, list[tuple]]:
    """(ECE, [(lower, upper, count, mean confidence, accuracy)] for 15 equal bins)."""
    import numpy as np

    confidence = probabilities.max(axis=1)
    right = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, BINS + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=False), 0, BINS - 1)
    rows, ece = [], 0.0
    for k in range(BINS):
        inside = which == k
        count = int(inside.sum())
        mean_conf = float(confidence[inside].mean()) if count else 0.0
        accuracy = float(right[inside].mean()) if count else 0.0
        ece += count / max(len(labels), 1) * abs(accuracy - mean_conf)
        rows.append((float(edges[k]), float(edges[k + 1]), count, mean_conf, accuracy))
    return float(ece), rows


def fit_temperature(probabilities: np.ndarray, labels: np.ndarray) -> tuple[float, str]:
    """(T, rule): the validation-NLL minimiser, or the lowest-ECE T when that raises the ECE."""
    import numpy as np
    from scipy.optimize import minimize_scalar

    z = logits(probabilities)
    low, high = np.log(T_RANGE[0]), np.log(T_RANGE[1])
    found = minimize_scalar(
        lambda log_t: nll(scaled(z, float(np.exp(log_t))), labels),
        bounds=(low, high),
        method="bounded",
    )
    temperature = float(np.exp(found.x))
    before, _ = reliability(scaled(z, 1.0), labels)
    after, _ = reliability(scaled(z, temperature), labels)
    if after <= before:
        return temperature, FIT_NLL
    grid = np.exp(np.linspace(low, high, GRID))
    scores = [
        (reliability(scaled(z, t), labels)[0], nll(scaled(z, t), labels), float(t)) for t in grid
    ]
    return min(scores)[2], FIT_ECE


def split_calibration(evaluation: Evaluation, temperature: float) -> SplitCalibration:
    """ECE, NLL and the reliability diagram of one stored evaluation, before and after."""
    import numpy as np

    probabilities, labels = arrays(evaluation)
    after = calibrated(probabilities, temperature)
    ece_before, rows_before = reliability(probabilities, labels)
    ece_after, rows_after = reliability(after, labels)
    bins = [
        Bin(lo, hi, n, c, a, n2, c2, a2)
        for (lo, hi, n, c, a), (_, _, n2, c2, a2) in zip(rows_before, rows_after, strict=True)
    ]
    return SplitCalibration(
        evaluation.split,
        len(labels),
        float(np.mean(probabilities.argmax(axis=1) == labels)) if len(labels) else 0.0,
        ece_before,
        ece_after,
        nll(probabilities, labels),
        nll(after, labels),
        bins,
    )


def arrays(evaluation: Evaluation) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities per class, true labels) of a stored evaluation."""
    import numpy as np

    probabilities = np.array([image.probabilities for image in evaluation.images], np.float64)
    labels = np.array([image.label for image in evaluation.images], dtype=np.int64)
    return probabilities.reshape(len(labels), len(evaluation.classes)), labels


# ---- a run's models -------------------------------------------------------------------------


def calibrate(validation: Evaluation, test: Evaluation | None = None) -> Calibration:
    """Fit the temperature on `validation` and measure it there and on `test`."""
    if not validation.images:
        raise UserError(
            f"The validation split of {validation.model} has no scored image; a temperature "
            f"needs validation images."
        )
    probabilities, labels = arrays(validation)
    temperature, rule = fit_temperature(probabilities, labels)
    on_validation = split_calibration(validation, temperature)
    on_test = split_calibration(test, temperature) if test is not None and test.images else None
    return Calibration(
        validation.model,
        temperature,
        rule,
        on_validation.ece_before,
        on_validation.ece_after,
        on_validation.bins,
        on_validation,
        on_test,
    )


def calibration_file(run_dir: str | Path, model: str) -> Path:
    return Path(run_dir).expanduser() / EVALUATION_DIR / f"{model}-calibration.json"


def write_calibration(run_dir: str | Path, calibration: Calibration) -> Path:
    path = calibration_file(run_dir, calibration.model)
    text = json.dumps(asdict(calibration), indent=2) + "\n"
    try:
        path.parent.mkdir(exist_ok=True)
    except OSError as exc:
        raise UserError(write_failure(path.parent, exc)) from None
    write_run_file(path, lambda target: target.write_text(text, encoding="utf-8"))
    return path


def read_calibration(run_dir: str | Path, model: str) -> Calibration | None:
    """The stored calibration of `model`, None when there is none; one sentence when damaged."""
    path = calibration_file(run_dir, model)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        calibration = Calibration(
            str(data["model"]),
            float(data["temperature"]),
            str(data["fit"]),
            float(data["ece_before"]),
            float(data["ece_after"]),
            [Bin(**b) for b in data["bins"]],
            _split(data["validation"]),
            _split(data["test"]) if data.get("test") else None,
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UserError(
            f"{path} is damaged ({' '.join(str(exc).split())[:80]}); calibrate again with "
            f"python main.py calibrate {Path(run_dir)} --model {model}."
        ) from None
    if not calibration.temperature > 0:
        raise UserError(f"{path} holds a temperature that is not positive; calibrate again.")
    return calibration


def _split(data: dict[str, Any]) -> SplitCalibration:
    values = {k: v for k, v in data.items() if k != "bins"}
    return SplitCalibration(**values, bins=[Bin(**b) for b in data["bins"]])


def summary(calibration: Calibration) -> str:
    """One line: the temperature and the ECE it gives (validation, and test when held out)."""
    line = (
        f"{calibration.model}: temperature {calibration.temperature:.3f}, validation ECE "
        f"{calibration.ece_before:.4f} → {calibration.ece_after:.4f}"
    )
    if calibration.test is not None:
        line += f", test ECE {calibration.test.ece_before:.4f} → {calibration.test.ece_after:.4f}"
    return line


def calibrate_evaluations(run_dir: str | Path, evaluations: list[Evaluation]) -> list[Calibration]:
    """Calibrate and store every model of `evaluations` that has a scored validation split."""
    by_model: dict[str, dict[str, Evaluation]] = {}
    for evaluation in evaluations:
        by_model.setdefault(evaluation.model, {})[evaluation.split] = evaluation
    done = []
    for splits in by_model.values():
        validation = splits.get("validation")
        if validation is not None and validation.images:
            calibration = calibrate(validation, splits.get("test"))
            write_calibration(run_dir, calibration)
            done.append(calibration)
    return done
