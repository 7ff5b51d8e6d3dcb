"""The Predict tab: new images classified by a run's model."""
