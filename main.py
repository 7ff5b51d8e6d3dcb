"""ftgui: `python main.py` opens the window; `python main.py train --help` runs headless."""

import os
import sys

from ftgui.app import main

if __name__ == "__main__":
    code = main()
    if "tensorflow" in sys.modules:  # every file is written and closed: skip TensorFlow's
        sys.stdout.flush()  # interpreter teardown (about a second after a training run)
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
