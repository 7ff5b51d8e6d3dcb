"""Import Kaggle's Dogs vs Cats `train.zip` into the book's layout, without unpacking it all."""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

from ftgui.core.errors import UserError

BOOK_SPLIT = {"train": 1000, "validation": 500, "test": 500}  # images per class (§5.2.2)
_NAME = re.compile(r"(?:^|/)(cat|dog)\.(\d+)\.jpg$", re.IGNORECASE)


def import_dogs_vs_cats(
    archive: str | Path,
    out: str | Path,
    per_class: dict[str, int] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Copy cat.N.jpg / dog.N.jpg into OUT/{train,validation,test}/{cats,dogs}/ as the book does:
    the lowest-numbered images to train, the next to validation, the next to test.

    `progress(done, total)` is called after each file and may raise to cancel; whatever ends the
    import early (a cancel, a full disk) removes the files copied so far.
    """
    per_class = per_class or dict(BOOK_SPLIT)
    for split, count in per_class.items():
        if count < 0:
            raise UserError(f"The number of {split} images per class must be 0 or more.")
    archive, out = Path(archive).expanduser(), Path(out).expanduser()
    if not archive.is_file():
        raise UserError(
            f"{archive} does not exist; download train.zip from Kaggle's Dogs vs "
            f"Cats competition and pass its path."
        )
    if out.exists() and any(out.iterdir()):
        raise UserError(f"{out} is not empty; choose a new folder for the imported dataset.")
    created = not out.exists()
    try:
        with zipfile.ZipFile(archive) as zf:
            members = _members_by_class(zf)
            needed = sum(per_class.values())
            for animal, names in members.items():
                if len(names) < needed:
                    raise UserError(
                        f"{archive} has {len(names)} {animal} images but the split needs "
                        f"{needed}; lower --train, --validation or --test."
                    )
            _copy_split(zf, members, per_class, out, progress)
    except zipfile.BadZipFile:
        raise UserError(f"{archive} is not a zip archive; pass Kaggle's train.zip.") from None
    except BaseException as exc:  # a full disk, a cancel, Ctrl+C: leave no half-imported dataset
        for split in per_class:
            shutil.rmtree(out / split, ignore_errors=True)
        if created:
            shutil.rmtree(out, ignore_errors=True)
        if isinstance(exc, OSError):
            raise UserError(
                f"Cannot copy the images into {out} ({exc.strerror or exc}); free some space or "
                f"choose another folder, then import again."
            ) from None
        raise
    return {split: 2 * count for split, count in per_class.items()}


def _copy_split(
    zf: zipfile.ZipFile,
    members: dict[str, list[str]],
    per_class: dict[str, int],
    out: Path,
    progress: Callable[[int, int], None] | None,
) -> None:
    """Copy the lowest-numbered images of each class to train, the next to validation, …"""
    total, done = 2 * sum(per_class.values()), 0
    for animal, names in members.items():
        start = 0
        for split, count in per_class.items():
            folder = out / split / f"{animal}s"
            folder.mkdir(parents=True, exist_ok=True)
            for member in names[start : start + count]:
                with zf.open(member) as source, open(folder / Path(member).name, "wb") as f:
                    shutil.copyfileobj(source, f)
                done += 1
                if progress is not None:
                    progress(done, total)  # may raise to cancel
            start += count


def _members_by_class(zf: zipfile.ZipFile) -> dict[str, list[str]]:
    found: dict[str, list[tuple[int, str]]] = {"cat": [], "dog": []}
    for name in zf.namelist():
        match = _NAME.search(name)
        if match:
            found[match.group(1).lower()].append((int(match.group(2)), name))
    if not found["cat"] and not found["dog"]:
        raise UserError(
            "The archive holds no cat.N.jpg or dog.N.jpg files; pass Kaggle's "
            "Dogs vs Cats train.zip."
        )
    return {animal: [name for _, name in sorted(items)] for animal, items in found.items()}
