"""Qt-free core: configuration, layer plans, data, model, the phase runner and the run folder.

Nothing here imports Qt or pyqtgraph, and TensorFlow is imported only inside the functions that
need it, so importing the core is cheap.
"""
