"""The Results tab: confusion matrix, gallery, image detail with Grad-CAM."""
