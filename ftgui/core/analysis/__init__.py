"""After training: the run's models, evaluation of every image, and Grad-CAM."""
