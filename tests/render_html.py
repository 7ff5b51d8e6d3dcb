"""Render an HTML file in Qt WebEngine (Chromium) offscreen, as a person's browser would:
`python -m tests.render_html PAGE.html SHOT.png` prints JSON with the page's title, its text,
the console messages it logged, the requests it made and whether it loaded."""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")


def main(page_path: str, shot_path: str) -> int:
    from PySide6.QtCore import QCoreApplication, Qt, QTimer, QUrl
    from PySide6.QtWebEngineCore import (
        QWebEnginePage,
        QWebEngineProfile,
        QWebEngineUrlRequestInterceptor,
    )
    from PySide6.QtWebEngineWidgets import QWebEngineView
    from PySide6.QtWidgets import QApplication

    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    app = QApplication([])
    found: dict = {"console": [], "requests": [], "loaded": False}

    class Requests(QWebEngineUrlRequestInterceptor):
        def interceptRequest(self, info) -> None:
            found["requests"].append(info.requestUrl().toString()[:200])

    class Page(QWebEnginePage):
        def javaScriptConsoleMessage(self, level, message, line, source) -> None:
            found["console"].append(f"{level}: {message}")

    profile = QWebEngineProfile.defaultProfile()
    interceptor = Requests()
    profile.setUrlRequestInterceptor(interceptor)
    view = QWebEngineView()
    page = Page(profile, view)
    view.setPage(page)
    view.resize(1100, 2400)

    def loaded(ok: bool) -> None:
        found["loaded"] = ok
        found["title"] = page.title()
        page.runJavaScript(
            "JSON.stringify([document.body.innerText, document.querySelectorAll('svg').length, "
            "Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length, "
            "document.body.scrollHeight])",
            0,
            measured,
        )

    def measured(values: str) -> None:  # arrays come back from Qt only as JSON text
        found["text"], found["svgs"], found["images_drawn"], found["height"] = json.loads(values)
        view.resize(1100, min(int(found["height"]) + 20, 8000))  # the whole page in one shot
        QTimer.singleShot(800, shoot)

    def shoot() -> None:
        view.grab().save(shot_path)
        print(json.dumps(found))
        app.quit()

    page.loadFinished.connect(loaded)
    view.show()
    page.load(QUrl.fromLocalFile(os.path.abspath(page_path)))
    QTimer.singleShot(40_000, app.quit)
    app.exec()
    return 0 if found["loaded"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
