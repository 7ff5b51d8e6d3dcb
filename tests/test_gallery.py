"""The gallery of evaluated images and the image detail with Grad-CAM, driven through pytest-qt."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QObject, Qt, Signal

from ftgui.core.analysis.evaluation_files import ImageResult
from ftgui.core.analysis.gradcam import GradCam, overlay
from ftgui.gui.results.gallery import Gallery
from ftgui.gui.results.image_detail import ImageDetail, image_to_array
from ftgui.gui.shared import thumbnails

CLASSES = ["cats", "dogs"]


def png(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (24, 16)) -> str:
    Image.new("RGB", size, colour).save(path)
    return str(path)


def result(
    path: str, label: int, predicted: int, confidence: float, loss: float, classes: int = 2
) -> ImageResult:
    rest = (1.0 - confidence) / (classes - 1)
    probabilities = tuple(confidence if i == predicted else rest for i in range(classes))
    return ImageResult(path, label, predicted, confidence, loss, probabilities)


@pytest.fixture
def five(tmp_path: Path) -> list[ImageResult]:
    """Five images with distinct losses and confidences, in no particular order."""
    values = [("a", 0.55, 0.8), ("b", 0.95, 3.0), ("c", 0.70, 1.2), ("d", 0.51, 0.7), ("e", 0.9, 2)]
    return [
        result(png(tmp_path / f"{name}.png", (40 * i, 90, 200)), 0, 1, confidence, loss)
        for i, (name, confidence, loss) in enumerate(values)
    ]


@pytest.fixture
def gallery(qtbot) -> Gallery:
    widget = Gallery()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def names(items: list[ImageResult]) -> list[str]:
    return [Path(item.path).stem for item in items]


def test_gallery_shows_hardest_first_and_sorts_by_confidence(gallery, five):
    gallery.show_images(five, CLASSES, "cats predicted as dogs")
    assert names(gallery.shown()) == ["b", "e", "c", "a", "d"]  # loss ↓
    assert gallery.title_label.text() == "5 images · cats predicted as dogs"
    gallery.sort_box.setCurrentIndex(1)
    assert names(gallery.shown()) == ["b", "e", "c", "a", "d"]  # confidence ↓
    gallery.sort_box.setCurrentIndex(2)
    assert names(gallery.shown()) == ["d", "a", "c", "e", "b"]  # confidence ↑
    assert gallery.model.index(0).data() == "cats → dogs 0.51"
    assert "d.png" in gallery.model.index(0).data(Qt.ItemDataRole.ToolTipRole)
    assert "loss 0.700" in gallery.model.index(0).data(Qt.ItemDataRole.ToolTipRole)


def test_confidence_filter_is_off_by_default_and_keeps_only_less_sure_images(gallery, five):
    gallery.show_images(five, CLASSES, "cats predicted as dogs")
    assert not gallery.filter_box.isChecked()
    gallery.threshold.setValue(0.7)
    gallery.filter_box.setChecked(True)
    assert names(gallery.shown()) == ["a", "d"]  # confidence < 0.7, hardest first
    assert gallery.title_label.text() == "2 of 5 images · cats predicted as dogs"
    gallery.threshold.setValue(0.96)
    assert names(gallery.shown()) == ["b", "e", "c", "a", "d"]
    gallery.filter_box.setChecked(False)
    gallery.clear()
    assert gallery.shown() == []


def test_clicking_a_thumbnail_emits_image_activated_with_its_result(qtbot, gallery, five):
    gallery.show_images(five, CLASSES, "cats predicted as dogs")
    index = gallery.model.index(2)
    point = gallery.view.visualRect(index).center()
    with qtbot.waitSignal(gallery.image_activated, timeout=1000) as blocker:
        qtbot.mouseClick(gallery.view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert blocker.args == [gallery.shown()[2]]


def test_thumbnails_arrive_progressively_and_a_broken_file_gets_the_placeholder(
    qtbot, gallery, five, tmp_path
):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png at all")
    items = [*five, result(str(broken), 1, 0, 0.6, 9.0)]
    changed: list[int] = []
    gallery.model.dataChanged.connect(lambda first, last, roles: changed.append(first.row()))
    gallery.show_images(items, CLASSES, "all")
    loader = gallery.loader
    decoration = Qt.ItemDataRole.DecorationRole
    first = gallery.model.index(0).data(decoration)
    assert first.cacheKey() == loader.loading.cacheKey()  # placeholder until it arrives
    qtbot.waitUntil(lambda: loader.cached_count() == len(items), timeout=5000)
    assert sorted(changed) == list(range(len(items)))  # one repaint per row, as each arrives
    assert gallery.shown()[0].path == str(broken)  # loss 9: first
    thumbnails = [gallery.model.index(row).data(decoration) for row in range(len(items))]
    assert thumbnails[0].cacheKey() == loader.unreadable.cacheKey()
    for pixmap, item in zip(thumbnails[1:], gallery.shown()[1:], strict=True):
        image = pixmap.toImage()  # 24×16 scaled to 128×85, centred in a clear 128 square
        assert (image.width(), image.height()) == (128, 128)
        assert image.pixelColor(64, 64).getRgb() == (*Image.open(item.path).getpixel((0, 0)), 255)
        assert image.pixelColor(64, 5).alpha() == 0


def test_showing_other_images_drops_the_reads_not_yet_started(
    qtbot, gallery, tmp_path, monkeypatch
):
    go = threading.Event()
    read = thumbnails.read_thumbnail
    monkeypatch.setattr(thumbnails, "read_thumbnail", lambda *args: go.wait(5) and read(*args))
    first = [result(png(tmp_path / f"a{i}.png", (i, 0, 0)), 0, 1, 0.9, i) for i in range(40)]
    second = [result(png(tmp_path / f"b{i}.png", (0, i, 0)), 0, 1, 0.9, i) for i in range(5)]
    gallery.show_images(first, CLASSES, "first")
    gallery.view.viewport().repaint()  # the visible rows of `first` ask for their thumbnails
    loader = gallery.loader
    assert len(loader._requested) >= 20
    gallery.show_images(second, CLASSES, "second")
    go.set()
    qtbot.waitUntil(lambda: all(loader._cache.get(item.path) for item in second), timeout=5000)
    qtbot.wait(100)
    begun = thumbnails.WORKERS  # reads already under way when `second` came
    assert sum(item.path in loader._cache for item in first) <= begun


def test_many_images_show_at_once_and_only_the_rows_in_view_are_read(
    qtbot, gallery, tmp_path, monkeypatch
):
    """Showing reads no file on the GUI thread; thumbnails load for the rows in view, then for
    the rows scrolled to (timings: benchmarks/gallery_responsiveness.py)."""
    items = [
        result(png(tmp_path / f"t{i:03d}.png", (i % 255, 90, 200)), i % 2, 1 - i % 2, 0.6, i % 97)
        for i in range(240)
    ]
    gallery.resize(1280, 900)
    on_gui_thread = []
    real_read = thumbnails.read_thumbnail

    def read(path: str, *args: object) -> object:
        on_gui_thread.append(threading.current_thread() is threading.main_thread())
        return real_read(path, *args)

    monkeypatch.setattr(thumbnails, "read_thumbnail", read)
    gallery.show_images(items, CLASSES, "everything")
    assert gallery.model.rowCount() == len(items)
    view, loader = gallery.view, gallery.loader
    qtbot.waitUntil(lambda: loader.cached_count() >= 40, timeout=5000)
    qtbot.wait(300)
    assert loader.cached_count() <= 80  # only the rows in view (8 × 6 here) are read
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum())
    last = gallery.model.items[-1].path
    qtbot.waitUntil(lambda: loader._cache.get(last) is not None, timeout=10_000)
    assert loader.cached_count() < len(items)  # the middle rows were never in view
    assert on_gui_thread and not any(on_gui_thread)


class FakeClient(QObject):
    """The analysis client's members; records requests, answers only when the test says so."""

    gradcam_ready = Signal(object, object)
    gradcam_failed = Signal(object, str)

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[tuple[object, str, str, str, int | None]] = []

    def request_gradcam(
        self, key: object, run_dir: str, model: str, path: str, class_index: int | None
    ) -> None:
        self.requests.append((key, run_dir, model, path, class_index))


def grad_cam(shape: tuple[int, int], class_index: int, predicted: int = 1) -> GradCam:
    """A heatmap bright in the left half."""
    heatmap = np.zeros(shape, np.float32)
    heatmap[:, : shape[1] // 2] = 1.0
    return GradCam(heatmap, class_index, predicted, np.array([0.2, 0.8], np.float32))


@pytest.fixture
def detail(qtbot) -> tuple[ImageDetail, FakeClient]:
    client = FakeClient()
    widget = ImageDetail(client)
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    widget.show()
    return widget, client


def pixel(widget: ImageDetail, x: int = 5, y: int = 5) -> tuple[int, int, int]:
    return widget.displayed_image().pixelColor(x, y).getRgb()[:3]


def test_detail_asks_for_the_predicted_class_and_draws_the_overlay_when_it_arrives(
    detail, tmp_path
):
    widget, client = detail
    item = result(png(tmp_path / "x.png", (128, 128, 128), (80, 60)), 0, 1, 0.8, 1.6)
    widget.show_image(item, CLASSES, "/runs/r1", "final")
    assert [(r[1:]) for r in client.requests] == [("/runs/r1", "final", item.path, 1)]
    assert "Computing Grad-CAM" in widget.note.text()
    assert pixel(widget) == (128, 128, 128)  # the plain image meanwhile
    client.gradcam_ready.emit(client.requests[0][0], grad_cam((60, 80), 1))
    assert pixel(widget) != (128, 128, 128)  # the hot left half is tinted
    assert pixel(widget, 75, 5) != pixel(widget, 5, 5)
    assert "dogs" in widget.note.text()
    assert "cats" in widget.caption.text() and "1.600" in widget.caption.text()


def test_switching_to_the_true_class_asks_again_and_switching_back_uses_the_cache(detail, tmp_path):
    widget, client = detail
    item = result(png(tmp_path / "x.png", (128, 128, 128), (80, 60)), 0, 1, 0.8, 1.6)
    widget.show_image(item, CLASSES, "/runs/r1", "final")
    client.gradcam_ready.emit(client.requests[0][0], grad_cam((60, 80), 1))
    assert "cats" in widget.true_button.text() and "dogs" in widget.predicted_button.text()
    widget.true_button.click()
    assert len(client.requests) == 2 and client.requests[1][4] == 0
    assert pixel(widget) == (128, 128, 128)  # nothing drawn for the true class yet
    widget.predicted_button.click()
    assert len(client.requests) == 2  # cached
    assert pixel(widget) != (128, 128, 128)


def test_an_answer_for_an_image_no_longer_shown_is_ignored(detail, tmp_path):
    widget, client = detail
    first = result(png(tmp_path / "a.png", (128, 128, 128), (80, 60)), 0, 1, 0.8, 1.6)
    second = result(png(tmp_path / "b.png", (20, 200, 20), (80, 60)), 1, 0, 0.7, 1.2)
    widget.show_image(first, CLASSES, "/runs/r1", "final")
    widget.show_image(second, CLASSES, "/runs/r1", "final")
    stale_key = client.requests[0][0]
    client.gradcam_ready.emit(stale_key, grad_cam((60, 80), 1))
    client.gradcam_failed.emit(stale_key, "The model file is gone.")
    assert pixel(widget) == (20, 200, 20)
    assert "Computing Grad-CAM" in widget.note.text()
    client.gradcam_failed.emit(client.requests[1][0], "The model file is gone.")
    assert "The model file is gone." in widget.note.text()


def test_the_opacity_slider_reblends_the_overlay_it_has(detail, tmp_path):
    widget, client = detail
    pixels = np.random.default_rng(1).integers(0, 255, (375, 500, 3), dtype=np.uint8)
    path = tmp_path / "big.png"
    Image.fromarray(pixels).save(path)
    widget.show_image(result(str(path), 0, 1, 0.8, 1.6), CLASSES, "/runs/r1", "final")
    client.gradcam_ready.emit(client.requests[0][0], grad_cam((375, 500), 1))
    before = pixel(widget)
    for value in (90, 10, 60, 0):
        widget.opacity.setValue(value)  # re-blended from the cached overlay (timing: benchmarks/)
        assert pixel(widget) != before or value == 45
        before = pixel(widget)
    assert pixel(widget) == tuple(int(v) for v in pixels[5, 5])  # opacity 0: the plain image
    widget.opacity.setValue(70)
    heatmap = grad_cam((375, 500), 1).heatmap
    assert np.array_equal(image_to_array(widget.displayed_image()), overlay(pixels, heatmap, 0.7))


@pytest.mark.parametrize("count", [2, 20])
def test_the_probability_bars_show_every_class_most_probable_first(detail, tmp_path, count):
    widget, _ = detail
    classes = [f"class_{i:02d}" for i in range(count)]
    item = result(png(tmp_path / "x.png", (1, 2, 3)), 1, count - 1, 0.6, 1.0, classes=count)
    widget.show_image(item, classes, "/runs/r1", "final")
    rows = widget.bars.rows
    assert sorted(name for name, _, _ in rows) == classes
    assert rows[0][0] == classes[count - 1]
    assert [value for _, value, _ in rows] == sorted((value for _, value, _ in rows), reverse=True)
    assert [name for name, _, is_true in rows if is_true] == ["class_01"]


def test_many_classes_show_the_top_ten_and_the_true_class(detail, tmp_path):
    widget, _ = detail
    classes = [f"c{i}" for i in range(30)]
    probabilities = tuple(np.linspace(1, 0, 30) / np.linspace(1, 0, 30).sum())
    item = ImageResult(
        png(tmp_path / "x.png", (1, 2, 3)), 25, 0, probabilities[0], 3.0, probabilities
    )
    widget.show_image(item, classes, "/runs/r1", "final")
    assert [name for name, _, _ in widget.bars.rows] == [f"c{i}" for i in range(10)] + ["c25"]


def test_open_containing_folder_opens_the_images_folder(detail, tmp_path, monkeypatch):
    widget, _ = detail
    opened = []
    monkeypatch.setattr(
        "ftgui.gui.results.image_detail.QDesktopServices.openUrl", lambda url: opened.append(url)
    )
    widget.show_image(result(png(tmp_path / "x.png", (1, 2, 3)), 0, 0, 0.9, 0.1), CLASSES, "r", "m")
    assert not widget.true_button.isEnabled()  # true = predicted: nothing to switch to
    widget.folder_button.click()
    assert [url.toLocalFile() for url in opened] == [str(tmp_path)]


def test_an_unreadable_image_is_said_so_without_asking_for_grad_cam(detail, tmp_path):
    widget, client = detail
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 truncated")
    widget.show_image(result(str(broken), 0, 1, 0.8, 1.6), CLASSES, "/runs/r1", "final")
    assert client.requests == []
    assert "cannot be read" in widget.note.text()
    assert not widget.opacity.isEnabled() and not widget.true_button.isEnabled()
    assert widget.folder_button.isEnabled()
