"""The eight words the tiny attention recognizers learn in their tests, drawn black on
white with OpenCV's built-in font (no font package needed)."""

from __future__ import annotations

import cv2
import numpy as np

WORDS = ["cat", "tree", "house", "OCR", "2024", "hello", "zebra", "mint"]


def render(word: str) -> np.ndarray:
    img = np.full((32, 16 * len(word) + 8, 3), 255, np.uint8)
    cv2.putText(img, word, (4, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 2, cv2.LINE_AA)
    return img
