"""ocrstudio: OCR annotation with in-app pre-labeling and fine-tuning."""

__version__ = "0.1.0"
