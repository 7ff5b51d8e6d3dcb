"""The analysis child process: evaluation, Grad-CAM, prediction and export, for the window."""
