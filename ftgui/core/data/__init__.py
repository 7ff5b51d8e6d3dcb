"""Images on disk: dataset layouts, the image check, tf.data pipelines, sample and Kaggle data."""
