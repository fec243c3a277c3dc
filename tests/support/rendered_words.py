"""Rendered words for the recognizer tests: the eight words the tiny attention recognizers
learn, drawn black on white with OpenCV's built-in font (no font package needed), a photo
of some of them with its ICDAR labels, and a line of words in one of the synthetic-text
fonts for the shipped recognizer."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ocrstudio.core.types import PageLabels, Polygon, Region

WORDS = ["cat", "tree", "house", "OCR", "2024", "hello", "zebra", "mint"]


def render(word: str) -> np.ndarray:
    img = np.full((32, 16 * len(word) + 8, 3), 255, np.uint8)
    cv2.putText(img, word, (4, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 2, cv2.LINE_AA)
    return img


def words_photo(folder: Path) -> list[str]:
    """One photo (folder/images/img_1.jpg) holding four rendered words and an illegible
    (###) one, with its ICDAR 2015 labels in folder/gt; returns the four words."""
    from ocrstudio.formats import write_labels

    img = np.full((260, 400, 3), 200, np.uint8)
    regions = []
    for i, word in enumerate([*WORDS[:4], "###"]):
        crop = cv2.resize(render(word if word != "###" else "zz"), None, fx=1.5, fy=1.5)
        y, x = 5 + 50 * i, 20 + 30 * i
        img[y : y + crop.shape[0], x : x + crop.shape[1]] = crop
        ys, xs = np.nonzero(crop.min(axis=2) < 128)  # the ink: a tight box, as ICDAR's
        regions.append(
            Region(
                Polygon.from_box(
                    x + xs.min() - 2, y + ys.min() - 2, x + xs.max() + 2, y + ys.max() + 2
                ),
                word,
                ignore=word == "###",
            )
        )
    (folder / "images").mkdir(parents=True)
    cv2.imwrite(str(folder / "images" / "img_1.jpg"), img)
    write_labels("icdar2015", [PageLabels("img_1.jpg", tuple(regions), 400, 260)], folder / "gt")
    return WORDS[:4]


def rendered_line(words: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
    """`words` drawn on one line in a synthetic-text font: the image and each word's box."""
    from PIL import Image, ImageDraw

    from ocrstudio.training.synth.common import FontPool

    font = FontPool().pick(np.random.default_rng(4), "".join(words), 40)
    assert font is not None
    img = Image.new("RGB", (900, 160), (235, 230, 220))
    draw = ImageDraw.Draw(img)
    x, boxes = 40, []
    for w in words:
        x0, y0, x1, y1 = draw.textbbox((x, 60), w, font=font)
        draw.text((x, 60), w, font=font, fill=(20, 20, 30))
        boxes.append(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], float))
        x = x1 + 30
    return np.asarray(img), boxes
