"""Check every image before training: skip what cannot be decoded, and report what was found.

`image_dataset_from_directory`-style pipelines die mid-epoch on a zero-byte or truncated file
("Input is empty", keras#15047). Each file is opened with Pillow, verified and decoded once
(JPEGs at a reduced scale: every byte of their compressed data is still read and checked, only
the inverse transform is smaller), on every core at once (Pillow decodes without holding the
GIL; a run decodes in forked processes while TensorFlow has not loaded yet, see
`_decoders`). For a run the check's decode is the run's only one: with `decode`, each usable
image's pixels (`pixels.decode_pixels`) go into a `PixelStore` that every epoch and phase reads.
Verdicts are cached by path, size and modification time, so re-checking an unchanged folder
without decoding is near-instant.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ftgui.core.data.arrays import allocate
from ftgui.core.data.dataset import SPLITS, Dataset, Split
from ftgui.core.data.pixels import PixelStore, pixels_of
from ftgui.core.errors import UserError
from ftgui.core.files import write_atomically, write_run_file
from ftgui.core.paths import ftgui_home

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "GIF", "BMP", "WEBP", "MPO"})
MIN_IMAGES_PER_CLASS = 10
IMBALANCE_RATIO = 3.0
REPORT_FILE = "dataset_report.json"
CHECK_SCALE = 256  # JPEGs are decoded at the smallest DCT scale still this large (or whole)


@dataclass
class ScanReport:
    root: str
    class_names: list[str]
    counts: dict[str, list[int]] = field(default_factory=dict)  # split -> usable per class
    skipped: list[dict[str, str]] = field(default_factory=list)  # {"path", "reason"}
    warnings: list[str] = field(default_factory=list)
    checked: int = 0  # files checked now (the rest came from the cache)
    pixels: PixelStore | None = field(default=None, repr=False)  # with `decode`

    def summary(self) -> str:
        usable = sum(sum(c) for c in self.counts.values())
        text = f"Dataset checked: {usable:,} usable images"
        if self.skipped:
            text += f", {len(self.skipped)} skipped (listed in {REPORT_FILE})"
        return text + "".join(f"; {w}" for w in self.warnings)

    def to_json(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "class_names": self.class_names,
            "counts": self.counts,
            "skipped": self.skipped,
            "warnings": self.warnings,
        }

    def save(self, folder: Path) -> None:
        """Write dataset_report.json into a run folder atomically; a full disk is one sentence."""
        text = json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"
        write_run_file(folder / REPORT_FILE, lambda path: path.write_text(text, encoding="utf-8"))


@dataclass(frozen=True)
class DecodeInto:
    """Where a run's decoded images go: S×S pixels, in RAM up to `budget` bytes, else in
    a memory-mapped file in `folder`."""

    size: int
    budget: int
    folder: Path


def check_image(path: str) -> str | None:
    """Why this file cannot be used, or None when Pillow decodes it fully."""
    return inspect_image(path, CHECK_SCALE, keep=False)[0]


def inspect_image(path: str, size: int, keep: bool) -> tuple[str | None, np.ndarray | None]:
    """(why the file cannot be used or None, its S×S pixels when `keep` and usable)."""
    from PIL import Image, UnidentifiedImageError

    try:
        if os.path.getsize(path) == 0:
            return "empty file", None
        with Image.open(path) as image:
            kind = image.format
            image.verify()
        if kind not in ACCEPTED_FORMATS:
            return f"unsupported format {kind}", None
        with Image.open(path) as image:
            if keep:
                return None, pixels_of(image, size)
            if kind == "JPEG":
                image.draft("RGB", (size, size))  # a 12 MP photo: 99 → ~35 ms at 256 px
            image.load()
    except UnidentifiedImageError:
        return "not an image", None
    except Image.DecompressionBombError as exc:
        return f"too many pixels to decode safely ({' '.join(str(exc).split())[:60]})", None
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt data
        return f"truncated or corrupt ({' '.join(str(exc).split())[:80]})", None
    return None, None


def scan_dataset(
    dataset: Dataset,
    progress: Callable[[int, int], None] | None = None,
    decode: DecodeInto | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> ScanReport:
    """Check every file, drop unusable ones from `dataset` in place, and report; with
    `decode`, the usable images' pixels are in `report.pixels` (splits in dataset order).
    `meanwhile` is called once the decoders are running (e.g. to start importing TensorFlow
    on another thread: after any fork, which is unsafe once other threads run)."""
    cache_path = ftgui_home() / "scan_cache.json"
    cache = _load_cache(cache_path)
    report = ScanReport(str(dataset.root), list(dataset.class_names))
    splits = [(name, getattr(dataset, name)) for name in SPLITS]
    total = sum(len(split) for _, split in splits)
    store = None
    if decode is not None:
        shape = (total, decode.size, decode.size, 3)
        array = allocate(shape, decode.budget, 0, decode.folder, "pixels", np.uint8)
        store = PixelStore(decode.size, array)
    done = filled = 0  # files seen; rows of pixels filled
    paths = [path for _, split in splits for path in split.files]
    verdicts = _verdicts(cache, paths, report, decode.size if decode else None, meanwhile)
    for name, split in splits:
        kept = Split()
        first = filled
        for path, label in zip(split.files, split.labels, strict=True):
            reason, pixels = next(verdicts)
            if reason:
                report.skipped.append({"path": path, "reason": reason})
            else:
                kept.files.append(path)
                kept.labels.append(label)
                if store is not None:
                    row = first + len(kept.files) - 1
                    store.array[row] = pixels
                    store.rows[path] = row
            done += 1
            if progress is not None:
                progress(done, total)
        setattr(dataset, name, kept)
        filled += len(kept)
        if store is not None:
            store.splits[name] = (first, filled)
        if len(split):
            report.counts[name] = kept.counts(dataset.num_classes)
    _save_cache(cache_path, cache)
    if store is not None:
        store.array = store.array[:filled]
        report.pixels = store
    _check_usable(dataset, report)
    return report


def _verdicts(
    cache: dict[str, list[Any]],
    paths: list[str],
    report: ScanReport,
    size: int | None,
    meanwhile: Callable[[], None] | None,
) -> Iterator[tuple[str | None, np.ndarray | None]]:
    """Each path's (verdict, pixels) in order, decoded by a pool (one worker per core) ahead
    of the caller. Without `size` (no pixels wanted) an unchanged file's verdict comes from the
    cache; with it, only a cached refusal skips the decode."""
    keep = size is not None
    pool = _decoders(max(1, min(os.cpu_count() or 1, 8)), keep)
    try:
        futures = []
        for path in paths:
            stat = os.stat(path)
            entry = cache.get(path)
            unchanged = entry and entry[0] == stat.st_size and entry[1] == stat.st_mtime_ns
            if unchanged and (entry[2] or not keep):
                futures.append((path, None, entry[2], None))
                continue
            job = pool.submit(inspect_image, path, size or CHECK_SCALE, keep)
            futures.append((path, stat, None, job))
        if meanwhile is not None:
            meanwhile()
        for path, stat, reason, future in futures:
            pixels = None
            if future is not None:
                reason, pixels = future.result()
                report.checked += 1
                cache[path] = [stat.st_size, stat.st_mtime_ns, reason]
            yield reason, pixels
    finally:  # a caller that stops early does not wait for the files not yet started
        pool.shutdown(wait=True, cancel_futures=True)


def _decoders(workers: int, keep: bool) -> Executor:
    """Forked processes to decode a run's images before TensorFlow loads: its import, on
    another thread meanwhile, holds the GIL for long stretches (loading its libraries), which
    would stall decoding threads between chunks of a file (200 photos and the import: 8.1 s on
    threads, 6.9 s on processes, 8.8 s one after the other; 2 cores). The processes run at a
    lower priority, so the import is not slowed (340 small PNGs: no cost against checking then
    importing). Threads otherwise: Pillow releases the GIL, and forking a process whose
    TensorFlow runs threads is unsafe."""
    if (
        keep
        and "tensorflow" not in sys.modules
        and "fork" in multiprocessing.get_all_start_methods()
    ):
        context = multiprocessing.get_context("fork")
        return ProcessPoolExecutor(workers, context, initializer=_decoding_process)
    return ThreadPoolExecutor(workers, thread_name_prefix="ftgui-check")


def _decoding_process() -> None:
    """Set up a decoding process: Ctrl+C is the parent's to handle (it stops the pool), and
    the TensorFlow import goes first for the CPU (the decoders take the rest)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        os.nice(10)


def _check_usable(dataset: Dataset, report: ScanReport) -> None:
    names = dataset.class_names
    train = report.counts.get("train", [0] * len(names))
    for name, count in zip(names, train, strict=True):
        if count == 0:
            raise UserError(
                f"No usable training image of class '{name}' in {dataset.root} (every file was "
                f"skipped; see the dataset report); add images of that class."
            )
        if count < MIN_IMAGES_PER_CLASS:
            report.warnings.append(f"class '{name}' has only {count} training images")
    if max(train) > IMBALANCE_RATIO * min(train):
        report.warnings.append(
            f"classes are imbalanced ({max(train)} vs {min(train)} training images)"
        )
    for split in ("validation", "test"):  # a test split is optional, but then for every class
        counts = report.counts.get(split, [])
        if split == "validation" or any(counts):
            for name, count in zip(names, counts, strict=True):
                if count == 0:
                    report.warnings.append(f"class '{name}' has no {split} images")


def _load_cache(path: Path) -> dict[str, list[Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save_cache(path: Path, cache: dict[str, list[Any]]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(cache)
        write_atomically(path, lambda p: p.write_text(text, encoding="utf-8"))
    except OSError:  # a cache that cannot be written only costs time next run
        pass
