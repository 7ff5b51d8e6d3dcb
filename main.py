"""ftgui: `python main.py` opens the window; `python main.py train --help` runs headless."""

import sys

from ftgui.app import main

if __name__ == "__main__":
    sys.exit(main())
