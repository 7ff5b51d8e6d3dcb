"""The gallery: a set of evaluated images as thumbnails, hardest first, sortable and filterable.

One `QListView` in icon mode over a list model (not a widget per image): the view asks only for
the rows it paints, so only those thumbnails are read, off the GUI thread, and each row repaints
as its thumbnail arrives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from ftgui.gui.shared.thumbnails import THUMBNAIL_SIZE, ThumbnailLoader

if TYPE_CHECKING:
    from ftgui.core.analysis.evaluation_files import ImageResult

ResultRole = Qt.ItemDataRole.UserRole + 1
CELL = QSize(THUMBNAIL_SIZE + 24, THUMBNAIL_SIZE + 44)  # the grid
ITEM = CELL - QSize(6, 6)  # thumbnail and caption within a cell

# (label, key, descending) — the first is the default: hardest first.
SORTS = (
    ("Loss ↓ (hardest first)", "loss", True),
    ("Confidence ↓", "confidence", True),
    ("Confidence ↑", "confidence", False),
)


def arrange(
    items: list[ImageResult], sort: int = 0, below: float | None = None
) -> list[ImageResult]:
    """`items` sorted by `SORTS[sort]` (stable); with `below`, only those with confidence < it."""
    _, key, descending = SORTS[sort]
    kept = items if below is None else [item for item in items if item.confidence < below]
    return sorted(kept, key=lambda item: getattr(item, key), reverse=descending)


def caption(item: ImageResult, classes: list[str]) -> str:
    """ "cat → dog 0.93": true class → predicted class (long names shortened), then confidence."""
    true, predicted = _short(_name(classes, item.label)), _short(_name(classes, item.predicted))
    return f"{true} → {predicted} {item.confidence:.2f}"


def _name(classes: list[str], index: int) -> str:
    return classes[index] if 0 <= index < len(classes) else f"class {index}"


def _short(name: str, most: int = 12) -> str:
    """At most `most` characters, cut in the middle: a caption never needs three lines."""
    cut = f"{name[: most // 2]}…\u2060{name[-(most - most // 2 - 1) :]}"  # no line break in it
    return name if len(name) <= most else cut


class GalleryModel(QAbstractListModel):
    """Rows are ImageResults; the decoration is the thumbnail (a placeholder until it arrives)."""

    def __init__(self, loader: ThumbnailLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loader = loader
        self.items: list[ImageResult] = []
        self.classes: list[str] = []
        self._rows: dict[str, list[int]] = {}
        loader.ready.connect(self._thumbnail_ready)

    def set_items(self, items: list[ImageResult], classes: list[str]) -> None:
        self.beginResetModel()
        self.items = items
        self.classes = classes
        self._rows = {}
        for row, item in enumerate(items):
            self._rows.setdefault(item.path, []).append(row)
        self.endResetModel()

    def row_of(self, path: str) -> int:
        """The first row showing the image at `path`, or -1."""
        return self._rows.get(path, [-1])[0]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.items)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        item = self.items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return caption(item, self.classes)
        if role == Qt.ItemDataRole.DecorationRole:
            return self.loader.thumbnail(item.path) or self.loader.loading
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"{item.path}\ntrue {_name(self.classes, item.label)} · predicted "
                f"{_name(self.classes, item.predicted)} · confidence {item.confidence:.3f} · "
                f"loss {item.loss:.3f}"
            )
        if role == Qt.ItemDataRole.SizeHintRole:
            return ITEM  # the same for all: room for a caption of two lines
        if role == ResultRole:
            return item
        return None

    def _thumbnail_ready(self, path: str) -> None:
        for row in self._rows.get(path, ()):
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])


class Gallery(QWidget):
    """Thumbnails of evaluated images; `image_activated(ImageResult)` when one is clicked."""

    image_activated = Signal(object)  # ImageResult

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loader = ThumbnailLoader(parent=self)
        self.model = GalleryModel(self.loader, self)
        self.view = QListView()
        self.title_label = QLabel()
        self.sort_box = QComboBox()
        self.filter_box = QCheckBox("Confidence below")
        self.threshold = QDoubleSpinBox()
        self._items: list[ImageResult] = []
        self._classes: list[str] = []
        self._title = ""
        self._build()
        self.sort_box.currentIndexChanged.connect(self._rearrange)
        self.filter_box.toggled.connect(self._filter_toggled)
        self.threshold.valueChanged.connect(self._rearrange)
        self.view.clicked.connect(self._clicked)
        self.view.activated.connect(self._activated)
        self.view.selectionModel().currentChanged.connect(self._current_changed)

    def _build(self) -> None:
        view = self.view
        view.setModel(self.model)
        view.setViewMode(QListView.ViewMode.IconMode)
        view.setMovement(QListView.Movement.Static)
        view.setResizeMode(QListView.ResizeMode.Adjust)
        view.setUniformItemSizes(True)
        view.setIconSize(QSize(THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        view.setGridSize(CELL)
        view.setSpacing(0)
        view.setWordWrap(True)
        view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        view.verticalScrollBar().setSingleStep(CELL.height() // 4)
        for label, _, _ in SORTS:
            self.sort_box.addItem(label)
        self.sort_box.setToolTip("Order of the images")
        self.sort_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.threshold.setRange(0.0, 1.0)
        self.threshold.setDecimals(2)
        self.threshold.setSingleStep(0.05)
        self.threshold.setValue(0.6)
        self.threshold.setEnabled(False)
        self.filter_box.setToolTip("Show only images the model was less sure about than this")
        self.title_label.setTextFormat(Qt.TextFormat.PlainText)
        self.title_label.setWordWrap(True)  # a long title takes two lines, not a wider column
        self.title_label.setContentsMargins(4, 2, 2, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title_label)
        # sorting and filtering on rows of their own, so the column can be narrow
        for widgets in ((QLabel("Sort"), self.sort_box), (self.filter_box, self.threshold)):
            row = QHBoxLayout()
            row.setContentsMargins(4, 0, 2, 0)
            for widget in widgets:
                row.addWidget(widget)
            row.addStretch(1)
            layout.addLayout(row)
        layout.addWidget(view, 1)

    def show_images(self, items: list[ImageResult], classes: list[str], title: str) -> None:
        """Show `items` (hardest first unless another sort is chosen); earlier reads are dropped."""
        self._items = list(items)
        self._classes = list(classes)
        self._title = title
        self.loader.cancel()
        self._rearrange()
        self.view.scrollToTop()

    def clear(self) -> None:
        self.show_images([], [], "")

    def select(self, path: str) -> bool:
        """Select the image at `path` and scroll to it; False when it is not shown."""
        row = self.model.row_of(path)
        if row < 0:
            return False
        index = self.model.index(row)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
        self.view.selectionModel().setCurrentIndex(index, flags)
        self.view.scrollTo(index)
        return True

    def shown(self) -> list[ImageResult]:
        """The items in display order, after sort and filter."""
        return list(self.model.items)

    def _filter_toggled(self, on: bool) -> None:
        self.threshold.setEnabled(on)
        self._rearrange()

    def _rearrange(self) -> None:
        below = self.threshold.value() if self.filter_box.isChecked() else None
        shown = arrange(self._items, max(self.sort_box.currentIndex(), 0), below)
        self.loader.cancel()  # the rows now in view ask again
        self.model.set_items(shown, self._classes)
        self.title_label.setText(self._title_text(len(shown)))

    def _title_text(self, count: int) -> str:
        total = len(self._items)
        counted = f"{count} image{'s' * (count != 1)}"
        if count != total:
            counted = f"{count} of {total} images"
        return f"{counted} · {self._title}" if self._title else counted

    def _clicked(self, index: QModelIndex) -> None:
        self.image_activated.emit(index.data(ResultRole))

    def _activated(self, index: QModelIndex) -> None:
        """Enter or double-click; a style that activates on single click already sent `clicked`."""
        hint = QStyle.StyleHint.SH_ItemView_ActivateItemOnSingleClick
        if not self.view.style().styleHint(hint, None, self.view):
            self.image_activated.emit(index.data(ResultRole))

    def _current_changed(self, index: QModelIndex) -> None:
        """Arrow keys browse: a new current item chosen with the keyboard is shown too."""
        by_keyboard = QApplication.mouseButtons() == Qt.MouseButton.NoButton
        if index.isValid() and by_keyboard and self.view.hasFocus():
            self.image_activated.emit(index.data(ResultRole))
