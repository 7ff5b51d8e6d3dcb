"""Sweeps: many trials of the recipe in one process, sharing what they have in common."""
