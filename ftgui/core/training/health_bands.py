"""What an update ratio says about a layer (Karpathy's CS231n yardstick: about 1e-3 is
healthy), and the run's warning when a pretrained layer moves too fast."""

from __future__ import annotations

HARDLY_LEARNING = 1e-4  # below: the learning rate is too low to matter for this layer
TOO_FAST = 1e-2  # above: the step rewrites the weights fast enough to destroy what they know

BANDS = (
    ("hardly learning", f"below {HARDLY_LEARNING:.0e}"),
    ("healthy", f"{HARDLY_LEARNING:.0e} to {TOO_FAST:.0e}"),
    ("too fast", f"above {TOO_FAST:.0e}: may destroy pretrained features"),
)


def band_of(update_ratio: float) -> str:
    """ "hardly learning", "healthy" or "too fast"."""
    if update_ratio < HARDLY_LEARNING:
        return BANDS[0][0]
    return BANDS[1][0] if update_ratio <= TOO_FAST else BANDS[2][0]


def too_fast_warning(layer: str, update_ratio: float, epoch: int, learning_rate: float) -> str:
    """The one line a run prints (once per phase) when a pretrained layer moved too fast."""
    return (
        f"Warning: pretrained layer {layer} changed by {update_ratio:.1e} of its weights per "
        f"step in epoch {epoch + 1} (above {TOO_FAST:.0e}): the learning rate {learning_rate:g} "
        f"may be destroying its pretrained features; try a lower one, e.g. {learning_rate / 10:g}."
    )
