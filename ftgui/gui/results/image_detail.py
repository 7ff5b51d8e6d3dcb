"""One evaluated image, large, with its Grad-CAM overlay and the model's class probabilities.

Grad-CAM comes from an analysis client (`request_gradcam(key, …)` answered later by
`gradcam_ready(key, GradCam)` or `gradcam_failed(key, reason)`); answers whose key is not the
image and class now shown are never drawn. Answers are cached per (run, model, path, class); the
heatmap is coloured once per answer, so the opacity slider only re-blends in NumPy (about 1 ms).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtGui import (
    QDesktopServices,
    QImage,
    QImageReader,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from ftgui.core.analysis.gradcam import blend, colormap, resize_heatmap
from ftgui.gui.results.detail_widgets import (
    ALL_BARS_UP_TO,
    TOP_BARS,
    ImageView,
    ProbabilityBars,
    probability_rows,
)

if TYPE_CHECKING:
    from ftgui.core.analysis.evaluation_files import ImageResult
    from ftgui.core.analysis.gradcam import GradCam

DISPLAY_MAX = 1024  # longest side the image is decoded to: keeps re-blending fast
DEFAULT_OPACITY = 45  # percent
HINT = "Click an image to see it here"

GradCamKey = tuple[str, str, str, int]  # (run_dir, model, path, class_index)


def read_display_image(path: str, longest: int = DISPLAY_MAX) -> np.ndarray | None:
    """RGB uint8 H×W×3 of the file, at most `longest` pixels on a side; None if unreadable."""
    reader = QImageReader(path)
    reader.setAutoTransform(False)  # the model saw the pixels as stored, not EXIF-rotated
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > longest:
        reader.setScaledSize(size.scaled(longest, longest, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if image.isNull():
        return None
    return image_to_array(image)


def image_to_array(image: QImage) -> np.ndarray:
    """QImage → RGB uint8 H×W×3 (a copy)."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    raw = np.frombuffer(image.constBits(), np.uint8, count=height * stride)
    return raw.reshape(height, stride)[:, : width * 3].reshape(height, width, 3).copy()


def array_to_image(array: np.ndarray) -> QImage:
    """RGB uint8 H×W×3 → QImage (owning its pixels)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    height, width = array.shape[:2]
    return QImage(array.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


class ImageDetail(QWidget):
    """Shows one ImageResult with Grad-CAM for its predicted (or true) class."""

    def __init__(self, client: QObject, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.view = ImageView()
        self.note = QLabel()
        self.predicted_button = QRadioButton("Predicted class")
        self.true_button = QRadioButton("True class")
        self.class_group = QButtonGroup(self)
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity_label = QLabel()
        self.caption = QLabel()
        self.bars = ProbabilityBars()
        self.bars_title = QLabel("Class probabilities")
        self.folder_button = QPushButton("Open containing folder")
        self.result: ImageResult | None = None
        self.classes: list[str] = []
        self.run_dir = ""
        self.model = ""
        self.class_index = -1  # the class Grad-CAM explains now
        self._pixels: np.ndarray | None = None  # the image, RGB uint8 at display size
        self._rgb: np.ndarray | None = None  # _pixels as float32, for blending
        self._colours: np.ndarray | None = None  # the shown Grad-CAM coloured, float32, same size
        self._cache: dict[GradCamKey, GradCam] = {}
        self._asked: set[Any] = set()
        self._build()
        client.gradcam_ready.connect(self._gradcam_ready)
        client.gradcam_failed.connect(self._gradcam_failed)
        self.class_group.idToggled.connect(self._class_switched)
        self.opacity.valueChanged.connect(self._opacity_changed)
        self.folder_button.clicked.connect(self.open_folder)

    def _build(self) -> None:
        self.class_group.addButton(self.predicted_button, 0)
        self.class_group.addButton(self.true_button, 1)
        self.predicted_button.setChecked(True)
        self.predicted_button.setToolTip("Where the model looked for the class it chose")
        self.true_button.setToolTip("Where the model found evidence for the image's real class")
        self.opacity.setRange(0, 100)
        self.opacity.setValue(DEFAULT_OPACITY)
        self.opacity.setMinimumWidth(100)
        self.opacity.setMaximumWidth(160)
        self.opacity.setToolTip("Opacity of the Grad-CAM heatmap over the image")
        self.opacity_label.setText(f"{DEFAULT_OPACITY}%")
        self.opacity_label.setMinimumWidth(
            self.opacity_label.fontMetrics().horizontalAdvance("100%")
        )
        self.note.setWordWrap(True)
        self.note.setToolTip("Bright = where the evidence for that class lies in the image")
        switch = QGridLayout()  # the two choices stacked: the column may be narrow
        switch.setVerticalSpacing(0)
        switch.addWidget(QLabel("Grad-CAM for"), 0, 0)
        switch.addWidget(self.predicted_button, 0, 1)
        switch.addWidget(self.true_button, 1, 1)
        switch.setColumnStretch(2, 1)
        blend = QHBoxLayout()
        blend.addWidget(QLabel("Opacity"))
        blend.addWidget(self.opacity)
        blend.addWidget(self.opacity_label)
        blend.addSpacing(12)
        blend.addWidget(self.note, 1)
        left = QVBoxLayout()
        left.addWidget(self.view, 1)
        left.addLayout(switch)
        left.addLayout(blend)

        self.caption.setWordWrap(True)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        bars_area = QScrollArea()
        bars_area.setWidget(self.bars)
        bars_area.setWidgetResizable(True)
        bars_area.setFrameShape(QFrame.Shape.NoFrame)
        bars_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        bars_area.setAlignment(Qt.AlignmentFlag.AlignTop)
        bars_area.setMinimumHeight(90)
        details = QVBoxLayout()
        details.addWidget(self.caption)
        details.addWidget(self.folder_button, 0, Qt.AlignmentFlag.AlignLeft)
        details.addWidget(self.bars_title)
        details.addWidget(bars_area, 1)
        layout = QVBoxLayout(self)  # stacked: the Results tab gives it a narrow column
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(left, 3)
        layout.addLayout(details, 2)
        self.clear()

    # -- what the caller uses -------------------------------------------------------------------

    def show_image(self, result: ImageResult, classes: list[str], run_dir: str, model: str) -> None:
        """Show `result` large and ask for its Grad-CAM (predicted class first)."""
        if (result, run_dir, model) == (self.result, self.run_dir, self.model):
            self._retry()  # clicked again: ask again only if an answer never came
            return
        self.result, self.classes, self.run_dir, self.model = result, list(classes), run_dir, model
        self._pixels = read_display_image(result.path)
        self._rgb = None if self._pixels is None else self._pixels.astype(np.float32)
        self._colours = None
        same = result.label == result.predicted
        self.predicted_button.setText(f"predicted class: {self._short(result.predicted)}")
        self.true_button.setText(f"true class: {'the same' if same else self._short(result.label)}")
        self._set_enabled(True)
        readable = self._pixels is not None
        self.predicted_button.setEnabled(readable)
        self.true_button.setEnabled(readable and not same)
        self.opacity.setEnabled(readable)
        self.caption.setText(self._caption_html(result))
        self.caption.setToolTip(result.path)
        self.bars.set_rows(probability_rows(result.probabilities, self.classes, result.label))
        many = len(result.probabilities) > ALL_BARS_UP_TO
        top = f" (top {TOP_BARS})" if many else ""
        self.bars_title.setText(f"<b>Class probabilities{top}</b> · true class in orange")
        self.class_index = -1
        self.predicted_button.setChecked(True)
        self._explain(result.predicted)

    def clear(self) -> None:
        """Show no image, only a hint; answers still to come for the last one are not drawn."""
        self.result, self.class_index = None, -1
        self._pixels, self._rgb, self._colours = None, None, None
        self.view.set_image(QImage(), HINT)
        self.caption.clear()
        self.caption.setToolTip("")
        self.note.clear()
        self.predicted_button.setText("predicted class")
        self.true_button.setText("true class")
        self.bars.set_rows([])
        self.bars_title.setText("<b>Class probabilities</b>")
        self._set_enabled(False)

    def open_folder(self) -> None:
        if self.result is not None:
            folder = os.path.dirname(os.path.abspath(self.result.path))
            QDesktopServices.openUrl(QUrl.fromLocalFile(folder))

    def displayed_image(self) -> QImage:
        """The picture now drawn (image with overlay), at display resolution."""
        return self.view.image

    # -- Grad-CAM --------------------------------------------------------------------------------

    def _key(self, class_index: int) -> GradCamKey:
        assert self.result is not None
        return (self.run_dir, self.model, self.result.path, class_index)

    def _explain(self, class_index: int) -> None:
        if self.result is None or class_index == self.class_index:
            return
        self.class_index = class_index
        self._colours = None
        if self._pixels is None:
            self.view.set_image(QImage(), f"Cannot read {self.result.path}")
            self.note.setText("The image file cannot be read, so there is no Grad-CAM.")
            return
        key = self._key(class_index)
        cached = self._cache.get(key)
        if cached is not None:
            self._show_gradcam(cached)
            return
        self._render()
        self.note.setText(f"Computing Grad-CAM for {self._name(class_index)}…")
        self._asked.add(key)
        self.client.request_gradcam(key, self.run_dir, self.model, self.result.path, class_index)

    def _retry(self) -> None:
        if self._colours is not None or self._pixels is None or self.class_index < 0:
            return
        if self._key(self.class_index) not in self._asked:
            index, self.class_index = self.class_index, -1
            self._explain(index)

    def _gradcam_ready(self, key: object, gradcam: GradCam) -> None:
        if key not in self._asked:
            return  # not asked by this view
        self._asked.discard(key)
        self._cache[key] = gradcam  # type: ignore[index]
        if self.result is not None and key == self._key(self.class_index):
            self._show_gradcam(gradcam)

    def _gradcam_failed(self, key: object, reason: str) -> None:
        self._asked.discard(key)
        if self.result is not None and key == self._key(self.class_index):
            self.note.setText(f"No Grad-CAM: {reason}")

    def _show_gradcam(self, gradcam: GradCam) -> None:
        assert self._pixels is not None and self.result is not None
        heat = resize_heatmap(gradcam.heatmap, self._pixels.shape[:2])
        self._colours = colormap(heat).astype(np.float32)  # once: the slider only re-blends
        which = "predicted" if self.class_index == self.result.predicted else "true"
        self.note.setText(
            f"Grad-CAM (block5_conv3) for {self._name(self.class_index)}, the {which} class"
        )
        self._render()

    def _render(self) -> None:
        if self._pixels is None:
            return
        pixels = self._pixels
        if self._colours is not None and self._rgb is not None:
            pixels = blend(self._rgb, self._colours, self.opacity.value() / 100)
        self.view.set_image(array_to_image(pixels))

    def _class_switched(self, button_id: int, checked: bool) -> None:
        if checked and self.result is not None:
            self._explain(self.result.predicted if button_id == 0 else self.result.label)

    def _opacity_changed(self, value: int) -> None:
        self.opacity_label.setText(f"{value}%")
        if self._colours is not None:
            self._render()

    # -- text ------------------------------------------------------------------------------------

    def _name(self, index: int) -> str:
        return self.classes[index] if 0 <= index < len(self.classes) else f"class {index}"

    def _short(self, index: int) -> str:
        """A class name elided to fit a radio button."""
        metrics = self.predicted_button.fontMetrics()
        return metrics.elidedText(self._name(index), Qt.TextElideMode.ElideMiddle, 150)

    def _caption_html(self, result: ImageResult) -> str:
        folder, file = os.path.split(result.path)
        wrap = "/\u200b"  # a long folder may break after any slash
        verdict = "correct" if result.label == result.predicted else "wrong"
        return (
            f"<b>{_escape(file)}</b><br><span style='color:gray'>"
            f"{_escape(folder + os.sep).replace('/', wrap)}</span><br><br>"
            f"true class: <b>{_escape(self._name(result.label))}</b><br>"
            f"predicted: <b>{_escape(self._name(result.predicted))}</b> ({verdict})<br>"
            f"confidence: {result.confidence:.3f} · loss: {result.loss:.3f}<br>"
            f"<span style='color:gray'>as scored by {_escape(self.model)}</span>"
        )

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (self.predicted_button, self.true_button, self.opacity, self.folder_button):
            widget.setEnabled(enabled)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
