"""What a sweep varies (`--vary FLAG=V1,V2` or a range) and the trials it draws from that."""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass

from ftgui.core.errors import UserError

SEARCHES = ("grid", "random")
HALVING_KEEP = 3  # successive halving keeps the best third at each rung


@dataclass(frozen=True)
class Range:
    """A numeric range `LOW..HIGH` (uniform) or `log:LOW..HIGH` (log-uniform), random search."""

    low: float
    high: float
    log: bool

    def draw(self, rng: random.Random, integer: bool) -> str:
        if self.log:
            value = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        else:
            value = rng.uniform(self.low, self.high)
        return str(round(value)) if integer else f"{value:.3g}"

    def text(self) -> str:
        return f"{'log:' if self.log else ''}{self.low:g}..{self.high:g}"


@dataclass(frozen=True)
class Vary:
    """One `--vary`: the flag (a train flag without its dashes) and its values or range."""

    flag: str
    values: tuple[str, ...] = ()
    range: Range | None = None

    def to_dict(self) -> dict[str, object]:
        if self.range is not None:
            return {"flag": self.flag, "range": self.range.text()}
        return {"flag": self.flag, "values": list(self.values)}


def parse_vary(text: str) -> Vary:
    """`FLAG=V1,V2[,…]`, `FLAG=LOW..HIGH` or `FLAG=log:LOW..HIGH`; one sentence if malformed."""
    flag, sep, values = text.partition("=")
    flag = flag.strip().removeprefix("--")
    if not sep or not flag or not values.strip():
        raise UserError(
            f"--vary {text!r} needs the form FLAG=V1,V2 (e.g. --vary lr-finetune=1e-5,1e-4)."
        )
    body = values.strip()
    if ".." in body:
        return Vary(flag, range=_parse_range(flag, body))
    items = tuple(v.strip() for v in body.split(","))
    if any(not v for v in items):
        raise UserError(
            f"--vary {flag}= has an empty value in {body!r}; separate values by commas."
        )
    if len(set(items)) != len(items):
        raise UserError(f"--vary {flag}= lists a value twice in {body!r}; list each once.")
    return Vary(flag, items)


def _parse_range(flag: str, body: str) -> Range:
    log = body.startswith("log:")
    low_text, _, high_text = body.removeprefix("log:").partition("..")
    try:
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise UserError(
            f"--vary {flag}={body} is not a range; write LOW..HIGH or log:LOW..HIGH with numbers."
        ) from None
    if not low < high or (log and low <= 0):
        need = "0 < LOW < HIGH" if log else "LOW < HIGH"
        raise UserError(f"--vary {flag}={body}: a range needs {need}.")
    return Range(low, high, log)


def draw_trials(
    varies: list[Vary], search: str, trials: int | None, seed: int, integer_flags: set[str]
) -> list[dict[str, str]]:
    """The trials' values (flag → text, in the order of `varies`).

    Grid: every combination, the first flag varying slowest. Random: `trials` combinations
    drawn with `seed`, without repeats while there are unseen ones; ranges drawn anew each time.
    """
    if search not in SEARCHES:
        raise UserError(f"--search {search!r} is not one of {', '.join(SEARCHES)}.")
    flags = [v.flag for v in varies]
    if len(set(flags)) != len(flags):
        twice = next(f for f in flags if flags.count(f) > 1)
        raise UserError(f"--vary {twice} is given twice; list all its values in one --vary.")
    if search == "grid":
        if trials is not None:
            raise UserError("--trials needs --search random (a grid runs every combination).")
        ranged = next((v.flag for v in varies if v.range is not None), None)
        if ranged is not None:
            raise UserError(
                f"--vary {ranged}= is a range; a grid needs listed values (or --search random)."
            )
        return [dict(zip(flags, combo, strict=True)) for combo in itertools.product(
            *(v.values for v in varies)
        )]  # fmt: skip
    if trials is None or trials < 1:
        raise UserError("--search random needs --trials N (N ≥ 1).")
    rng = random.Random(seed)
    drawn: list[dict[str, str]] = []
    seen: set[tuple[str, ...]] = set()
    combinations = math.prod(len(v.values) if v.range is None else math.inf for v in varies)
    for _ in range(trials):
        while True:
            values = {v.flag: _draw(v, rng, v.flag in integer_flags) for v in varies}
            key = tuple(values.values())
            if key not in seen or len(seen) >= combinations:
                break
        seen.add(key)
        drawn.append(values)
    return drawn


def _draw(vary: Vary, rng: random.Random, integer: bool) -> str:
    return vary.range.draw(rng, integer) if vary.range else rng.choice(vary.values)


def rung_epochs(last_phase_epochs: int, trials: int) -> list[int]:
    """Epochs of the last phase after which successive halving keeps the best third.

    With n trials there are ⌊log₃ n⌋ halvings; rung j of R sits at E / 3^(R-j+1) of the
    phase's E epochs (Hyperband's geometric budgets, η = 3), at least one epoch, before E.
    """
    halvings = 0
    while HALVING_KEEP ** (halvings + 1) <= trials:
        halvings += 1
    rungs = {
        max(1, round(last_phase_epochs / HALVING_KEEP ** (halvings - j))) for j in range(halvings)
    }
    return sorted(r for r in rungs if r < last_phase_epochs)


def survivors(count: int) -> int:
    """How many of `count` trials continue after a rung: the best third, at least one."""
    return max(1, count // HALVING_KEEP)
