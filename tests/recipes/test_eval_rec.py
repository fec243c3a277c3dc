"""`eval-rec` scores a recognizer on word crops, or on photos by cutting their legible
ground-truth words as a detected box is cut, with the AUROC of its reading scores."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ocrstudio.services.ocr import resolve_model
from recipes import evaluate_recognizer
from tests.support.rendered_words import WORDS, render, words_photo


def test_eval_rec_reads_the_legible_words_of_a_photo_split(tmp_path: Path) -> None:
    words = words_photo(tmp_path / "photos")
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
