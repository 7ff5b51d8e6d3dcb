"""Find the images of a dataset folder (book layout or class folders) without TensorFlow."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from ftgui.core.errors import UserError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp"})
SPLITS = ("train", "validation", "test")


@dataclass
class Split:
    """The image files of one split, with integer labels indexing `Dataset.class_names`."""

    files: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.files)

    def counts(self, num_classes: int) -> list[int]:
        return [self.labels.count(i) for i in range(num_classes)]


@dataclass
class Dataset:
    """A dataset folder resolved into train, validation and (optional) test splits."""

    root: Path
    layout: str  # "book" or "folders"
    class_names: list[str]
    train: Split
    validation: Split
    test: Split
    decisions_note: str = ""  # what the folder's decisions file changed (decisions.py)
    decisions_digest: str | None = None  # its sha256 when it was honoured

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def summary(self) -> str:
        parts = [f"{len(self.train)} train", f"{len(self.validation)} validation"]
        if len(self.test):
            parts.append(f"{len(self.test)} test")
        names = ", ".join(self.class_names[:6]) + (" …" if self.num_classes > 6 else "")
        return f"{self.num_classes} classes ({names}); {', '.join(parts)} images"


def find_dataset(root: str | Path, validation_split: float = 0.2, seed: int = 1337) -> Dataset:
    """Resolve `root` in the book layout or as class folders split by `validation_split`, or
    raise a UserError saying what is wrong."""
    root = Path(root).expanduser()
    if not root.exists():
        raise UserError(f"Dataset folder {root} does not exist; check the path or use --sample.")
    if not root.is_dir():
        raise UserError(
            f"{root} is a file, not a folder; pass the folder that holds the class folders."
        )
    if (root / "train").is_dir():
        return _book_layout(root)
    return _class_folders(root, validation_split, seed)


def _book_layout(root: Path) -> Dataset:
    class_names = _class_names(root / "train")
    if not (root / "validation").is_dir():
        raise UserError(
            f"{root} has train/ but no validation/ folder; add validation/<class>/ images "
            f"or put the class folders directly in {root}."
        )
    splits = {}
    for name in SPLITS:
        folder = root / name
        splits[name] = _collect(folder, class_names) if folder.is_dir() else Split()
    _require_every_class(splits["train"], class_names, root / "train")
    return Dataset(root, "book", class_names, splits["train"], splits["validation"], splits["test"])


def _class_folders(root: Path, validation_split: float, seed: int) -> Dataset:
    class_names = _class_names(root)
    everything = _collect(root, class_names)
    _require_every_class(everything, class_names, root)
    train, validation = Split(), Split()
    rng = random.Random(seed)
    for label in range(len(class_names)):
        files = sorted(
            f for f, lab in zip(everything.files, everything.labels, strict=False) if lab == label
        )
        rng.shuffle(files)
        n_val = max(1, round(len(files) * validation_split)) if len(files) > 1 else 0
        for target, chunk in ((validation, files[:n_val]), (train, files[n_val:])):
            target.files += chunk
            target.labels += [label] * len(chunk)
    return Dataset(root, "folders", class_names, train, validation, Split())


NOT_CLASSES = ("_excluded",)  # where "Apply to folder" moves excluded images (decisions.py)


def _class_names(folder: Path) -> list[str]:
    names = sorted(
        p.name
        for p in folder.iterdir()
        if p.is_dir() and not p.name.startswith(".") and p.name not in NOT_CLASSES
    )
    if not names:
        raise UserError(
            f"{folder} has no class folders; put images in {folder}/<class>/ "
            f"(or use train/<class>/ and validation/<class>/)."
        )
    if len(names) == 1:
        raise UserError(
            f"{folder} has only one class folder ('{names[0]}'); a classifier needs at least two."
        )
    return names


def _collect(folder: Path, class_names: list[str]) -> Split:
    split = Split()
    empty = []
    for label, name in enumerate(class_names):
        files = sorted(str(p) for p in _images_in(folder / name))
        if not files:
            empty.append(name)
        split.files += files
        split.labels += [label] * len(files)
    if empty and len(empty) == len(class_names):
        raise UserError(f"{folder} contains no images ({_suffix_words()}) in its class folders.")
    return split


def _require_every_class(split: Split, class_names: list[str], folder: Path) -> None:
    empty = [
        name for name, n in zip(class_names, split.counts(len(class_names)), strict=False) if n == 0
    ]
    if empty:
        raise UserError(
            f"Class folder {folder / empty[0]} has no images ({_suffix_words()}); "
            f"add images or remove the folder."
        )


def _images_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return [
        p
        for p in folder.rglob("*")
        if p.suffix.lower() in IMAGE_SUFFIXES
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    ]


def _suffix_words() -> str:
    return ", ".join(sorted(IMAGE_SUFFIXES))
