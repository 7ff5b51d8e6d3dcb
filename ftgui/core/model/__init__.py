"""The Keras model: building and compiling VGG16 with the book's head, devices and acceleration."""
