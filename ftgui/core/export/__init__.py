"""Models elsewhere: SavedModel, TFLite and ONNX exports checked by running them; the script."""
