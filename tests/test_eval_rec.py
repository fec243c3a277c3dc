"""`eval-rec` scores a recognizer on word crops, or on photos by cutting their legible
ground-truth words as a detected box is cut, with the AUROC of its reading scores."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from rendered_words import WORDS, render

from ocrstudio.core.types import PageLabels, Polygon, Region
from ocrstudio.formats import write_labels
from ocrstudio.services.ocr import resolve_model
from recipes import evaluate_recognizer


def _photo(folder: Path) -> list[str]:
    """One photo holding four rendered words and an illegible (###) one; its labels."""
    img = np.full((260, 400, 3), 200, np.uint8)
    regions = []
    for i, word in enumerate([*WORDS[:4], "###"]):
        crop = cv2.resize(render(word if word != "###" else "zz"), None, fx=1.5, fy=1.5)
        y, x = 5 + 50 * i, 20 + 30 * i
        img[y:y + crop.shape[0], x:x + crop.shape[1]] = crop
        ys, xs = np.nonzero(crop.min(axis=2) < 128)  # the ink: a tight box, as ICDAR's
        regions.append(Region(Polygon.from_box(x + xs.min() - 2, y + ys.min() - 2,
                                               x + xs.max() + 2, y + ys.max() + 2),
                              word, ignore=word == "###"))
    (folder / "images").mkdir(parents=True)
    cv2.imwrite(str(folder / "images" / "img_1.jpg"), img)
    write_labels("icdar2015", [PageLabels("img_1.jpg", tuple(regions), 400, 260)],
                 folder / "gt")
    return WORDS[:4]


def test_eval_rec_reads_the_legible_words_of_a_photo_split(tmp_path: Path) -> None:
    words = _photo(tmp_path / "photos")
    res = evaluate_recognizer(resolve_model(None, "recognizer"), tmp_path / "photos")
    assert res["count"] == len(words)  # the ### region is not a word to read
    assert res["word_acc"] >= 0.75
    assert np.isnan(res["score_auroc_read_right"]) or 0 <= res["score_auroc_read_right"] <= 1


def test_eval_rec_reads_a_split_of_word_crops(tmp_path: Path) -> None:
    (tmp_path / "words" / "images").mkdir(parents=True)
    (tmp_path / "words" / "labels").mkdir()
    for i, word in enumerate(WORDS):
        cv2.imwrite(str(tmp_path / "words" / "images" / f"w_{i}.png"), render(word))
        (tmp_path / "words" / "labels" / f"w_{i}.txt").write_text(word, encoding="utf-8")
    res = evaluate_recognizer(resolve_model(None, "recognizer"), tmp_path / "words")
    assert res["count"] == len(WORDS) and res["word_acc"] >= 0.75
