"""ftgui: the fine-tuning recipe of *Deep Learning with Python* §5.3.2 as a desktop app."""

__version__ = "0.1.0"
