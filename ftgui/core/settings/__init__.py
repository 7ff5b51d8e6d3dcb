"""What a run is: the typed configuration, the VGG16 layer facts and layer plans."""
