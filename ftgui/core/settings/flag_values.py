"""A RunConfig as the values of its `train` flags (names without dashes), and back to flags.

A sweep varies these values, `trials.csv` and the Experiments table show them. For every
configuration the flags can express (settings of the first and last phase; phase names,
optimizers and hand-picked layers are not flags), parsing `flag_args(flag_values(config) |
switch_values(config))` with the `train` flags gives back `config`. No Qt, no TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ftgui.core.settings.config import PhaseConfig, RunConfig
from ftgui.core.settings.fields import (
    LAST_PHASE_SETTINGS,
    PHASE_FLAG_ENDS,
    PHASE_SETTINGS,
    RUN_SETTINGS,
    SPEED,
    Setting,
)
from ftgui.core.settings.layer_plan import trainable_from
from ftgui.core.settings.vgg16 import layer_names

YES, NO, AUTO = "yes", "no", "auto"  # a switch given, given as --no-…, or not given


def phase_flags() -> list[tuple[str, str, Setting, int, str]]:
    """(flag, dest, setting, phase index, where) for `--STEM-head` and `--STEM-finetune`."""
    flags = []
    for setting in PHASE_SETTINGS:
        for end, index, where in PHASE_FLAG_ENDS if setting.flag else ():
            flag = f"{setting.flag}-{end}"
            flags.append((flag, flag[2:].replace("-", "_"), setting, index, where))
    return flags


def _run_value_settings(section: str) -> list[Setting]:
    return [
        s
        for s in RUN_SETTINGS
        if s.flag and s.kind is not bool and (s.section == SPEED) == (section == SPEED)
    ]


def value_flags() -> list[str]:
    """Every `train` flag that takes a value, without dashes, in the order `--help` lists them."""
    return [
        *(s.flag[2:] for s in _run_value_settings("")),
        *(flag[2:] for flag, *_ in phase_flags()),
        *(s.flag[2:] for s in LAST_PHASE_SETTINGS if s.flag),
        *(s.flag[2:] for s in _run_value_settings(SPEED)),
    ]


def switch_flags() -> list[str]:
    """Every `train` flag that takes no value (`--augment`, `--no-cache`), without dashes."""
    return [s.flag[2:] for s in RUN_SETTINGS if s.flag and s.kind is bool]


def _text(value: Any) -> str:
    """A value as a flag takes it; floats keep every digit (repr: 2e-05, 0.5)."""
    return repr(value) if isinstance(value, float) else str(value)


def _unfreeze_from(layers: list[str]) -> str | None:
    """The layer `--unfreeze-from` names for these trainable layers, None when none does."""
    if not layers or layers[0] not in layer_names():
        return None
    return layers[0] if tuple(layers) == trainable_from(layers[0]) else None


# How each setting of `fields.LAST_PHASE_SETTINGS` is read back from the last phase.
_LAST_PHASE_READ: dict[str, Callable[[PhaseConfig], str | None]] = {
    "unfreeze_from": lambda phase: _unfreeze_from(phase.trainable_layers),
}


def flag_values(config: RunConfig) -> dict[str, str]:
    """{flag without dashes: value} for every value-taking `train` flag `config` sets, e.g.
    {"lr-head": "2e-05", "epochs-finetune": "10", "unfreeze-from": "block5_conv1", …}.

    Settings left automatic (None) are left out, and so is `data` with the sample dataset;
    so are the fine-tuning flags of a one-phase
    configuration and `unfreeze-from` when the last phase's layers are not a flag's choice."""
    values: dict[str, str] = {}
    for setting in RUN_SETTINGS:
        value = getattr(config, setting.name)
        given = value is not None and not (setting.name == "data_dir" and config.sample)
        if setting.flag and setting.kind is not bool and given:
            values[setting.flag[2:]] = _text(value)
    for flag, _, setting, index, _ in phase_flags():
        if index == 0 or len(config.phases) > 1:
            values[flag[2:]] = _text(getattr(config.phases[index], setting.name))
    for setting in LAST_PHASE_SETTINGS:
        value = _LAST_PHASE_READ[setting.name](config.phases[-1])
        if setting.flag and value is not None:
            values[setting.flag[2:]] = value
    return {flag: values[flag] for flag in value_flags() if flag in values}


def switch_values(config: RunConfig) -> dict[str, str]:
    """{switch without dashes: YES, NO or AUTO}: YES when `train` is given the switch, NO when
    it is given as `--no-…` (on/off switches) or left out, AUTO for "let ftgui decide"."""
    values = {}
    for setting in RUN_SETTINGS:
        if not setting.flag or setting.kind is not bool:
            continue
        value = getattr(config, setting.name)
        if setting.optional:
            values[setting.flag[2:]] = AUTO if value is None else YES if value else NO
        else:  # the flag flips the default
            values[setting.flag[2:]] = YES if value != setting.default else NO
    return values


def flag_args(values: Mapping[str, str]) -> list[str]:
    """The command line for `values` of `flag_values` and `switch_values` (either may be
    partial): `--FLAG value` per value flag, the switches given."""
    optional = {s.flag[2:] for s in RUN_SETTINGS if s.flag and s.optional and s.kind is bool}
    args: list[str] = []
    for flag, value in values.items():
        if flag not in switch_flags():
            args += [f"--{flag}", value]
        elif value == YES:
            args.append(f"--{flag}")
        elif value == NO and flag in optional:
            args.append(f"--no-{flag}")
    return args
