"""A run as one self-contained HTML file (`write_report`): summary, settings, curves, scores,
the hardest images with Grad-CAM, calibration, dataset, audit, environment and limits."""

from ftgui.core.report.build import REPORT_FILE, write_report

__all__ = ["REPORT_FILE", "write_report"]
