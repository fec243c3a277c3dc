"""A line's reading cut into word boxes: the geometry of `core.words` on known quads, the
CTC decoder's character spans, and the shipped recognizer splitting a rendered line into
its words where they are."""

from __future__ import annotations

import dataclasses
import itertools
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ocrstudio.core.charset import Charset
from ocrstudio.core.errors import InputError
from ocrstudio.core.geometry import crop_frame, crop_polygon, polygon_iou
from ocrstudio.core.types import Polygon, Region
from ocrstudio.core.words import joined_quad, split_words, word_edges, word_runs
from ocrstudio.engine.tokenizer import CTCTokenizer
from tests.support.rendered_words import rendered_line


def test_word_runs_skip_any_run_of_spaces() -> None:
    assert word_runs("ab  cd e") == [(0, 1), (4, 5), (7, 7)]
    assert word_runs(" ab ") == [(1, 2)]
    assert word_runs("") == []


def test_outer_words_reach_the_region_and_neighbours_share_the_gap() -> None:
    spans = [(0.1, 0.2), (0.2, 0.3), (0.5, 0.5), (0.6, 0.7), (0.7, 0.8)]  # "ab cd"
    runs = word_runs("ab cd")
    assert word_edges(runs, spans, 0.05, 0.95) == [
        (0.05, pytest.approx(0.45)),
        (pytest.approx(0.45), 0.95),
    ]
    tight = word_edges(runs, spans, 0.05, 0.95, gap_share=0.0)
    assert tight == [(0.05, 0.3), (0.6, 0.95)]


def test_split_words_maps_crop_columns_back_into_the_image() -> None:
    quad = np.array([[100, 50], [300, 50], [300, 80], [100, 80]], float)
    outer, own = crop_frame(quad, 0.1)
    # the crop spans 3 pixels of margin on every side (0.1 x the 30-pixel height)
    assert np.allclose(outer, [[97, 47], [303, 47], [303, 83], [97, 83]])
    assert np.allclose(own, quad)
    # columns in fractions of the 206-pixel crop: "ab" ink up to x=180, "cd" from x=220
    frac = lambda x: (x - 97) / 206  # noqa: E731
    spans = [
        (frac(110), frac(140)),
        (frac(150), frac(180)),
        (frac(190), frac(210)),
        (frac(220), frac(250)),
        (frac(260), frac(290)),
    ]
    words = split_words(quad, 0.1, "ab cd", spans, [0.9, 0.8, 0.99, 0.5, 1.0])
    assert words is not None and [w.text for w in words] == ["ab", "cd"]
    assert np.allclose(words[0].quad, [[100, 50], [200, 50], [200, 80], [100, 80]], atol=1e-3)
    assert np.allclose(words[1].quad, [[200, 50], [300, 50], [300, 80], [200, 80]], atol=1e-3)
    assert words[0].score == pytest.approx(0.72) and words[1].score == pytest.approx(0.5)


def test_split_words_follows_a_tilted_line_and_refuses_what_it_cannot_cut() -> None:
    angle = np.deg2rad(20)
    along, across = (
        np.array([np.cos(angle), np.sin(angle)]),
        np.array([-np.sin(angle), np.cos(angle)]),
    )
    o = np.array([400.0, 300.0])
    quad = np.array([o, o + 200 * along, o + 200 * along + 30 * across, o + 30 * across])
    spans = [(0.1, 0.2), (0.3, 0.4), (0.6, 0.7), (0.8, 0.9)]
    words = split_words(quad, 0.1, "a b", spans[:3], [1.0] * 3)
    assert words is not None and len(words) == 2
    for w in words:  # each word lies on the line, the two together cover it
        assert polygon_iou(w.quad, quad) > 0.3
        rel = (w.quad - o) @ across
        assert rel.min() == pytest.approx(0, abs=1e-3) and rel.max() == pytest.approx(30, abs=1e-3)
    assert split_words(quad, 0.1, "ab", spans[:2], [1.0] * 2) is None  # one word
    assert split_words(quad, 0.1, "a b", spans[:2], [1.0] * 2) is None  # spans don't fit
    tall = np.array([[0, 0], [20, 0], [20, 200], [0, 200]], float)
    assert split_words(tall, 0.1, "a b", spans[:3], [1.0] * 3) is None  # read turned


def test_ctc_greedy_decoding_says_which_columns_emitted_each_character() -> None:
    tok = CTCTokenizer(Charset("ab "))
    frames = [0, 1, 1, 0, 3, 0, 2, 2, 2, 0]  # blank a a blank ' ' blank b b b blank
    probs = np.full((1, 10, 4), 0.01)
    probs[0, np.arange(10), frames] = 0.97
    (res,) = tok.decode_greedy(probs)
    assert res.text == "a b"
    assert res.char_spans == ((0.1, 0.3), (0.4, 0.5), (0.6, 0.9))


class _OneBox:
    """A detector that finds one given region: the split is what is under test."""

    def __init__(self, quad: np.ndarray):
        self.quad = quad

    def predict_batch(self, images):  # type: ignore[no-untyped-def]
        return [[Region(polygon=Polygon.from_array(self.quad))] for _ in images]


def test_the_shipped_recognizer_cuts_a_rendered_line_into_its_words() -> None:
    from ocrstudio.engine.predictor import OcrPredictor
    from ocrstudio.engine.recognition.predictor import RecognitionPredictor
    from ocrstudio.services.ocr import resolve_model

    image, boxes = rendered_line(["OPEN", "DAILY", "7AM"])
    line = np.concatenate(boxes)
    quad = np.array(
        [
            line.min(0),
            [line[:, 0].max(), line[:, 1].min()],
            line.max(0),
            [line[:, 0].min(), line[:, 1].max()],
        ]
    )
    rec = RecognitionPredictor.from_checkpoint(resolve_model(None, "recognizer"), "cpu")
    assert " " in rec.predict([crop_polygon(image, quad, 0.1)])[0].text
    whole = OcrPredictor(_OneBox(quad), rec).predict(image)  # type: ignore[arg-type]
    assert [r.text for r in whole.regions] == ["OPEN DAILY 7AM"]
    page = OcrPredictor(_OneBox(quad), rec, split_words=True).predict(image)  # type: ignore[arg-type]
    assert [r.text for r in page.regions] == ["OPEN", "DAILY", "7AM"]
    assert [r.order for r in page.regions] == [0, 1, 2]
    for r, box in zip(page.regions, boxes, strict=True):
        assert polygon_iou(r.polygon.as_array(), box) > 0.6, r.text


def _with_boxes(src: Path, dest: Path, boxes: object) -> Path:
    shutil.copytree(src, dest)
    card = json.loads((dest / "model.json").read_text(encoding="utf-8"))
    card["boxes"] = boxes  # as a person edits the file
    (dest / "model.json").write_text(json.dumps(card), encoding="utf-8")
    return dest


def test_the_detector_card_says_whether_lines_are_cut_into_words(tmp_path: Path) -> None:
    from ocrstudio.services.ocr import build_ocr, resolve_model

    det = resolve_model(None, "detector")
    rec = resolve_model(None, "recognizer")
    assert build_ocr(det, rec, "cpu").split_words  # the shipped default: words
    assert not build_ocr(resolve_model("det_lines", "detector"), rec, "cpu").split_words
    assert not build_ocr(det, rec, "cpu", boxes="lines").split_words  # the caller decides
    lines = _with_boxes(det, tmp_path / "lines", "lines")
    assert not build_ocr(lines, rec, "cpu").split_words
    assert build_ocr(lines, rec, "cpu", boxes="words").split_words
    bad = _with_boxes(det, tmp_path / "bad", "paragraphs")
    with pytest.raises(InputError, match="boxes must be one of words, lines") as err:
        build_ocr(bad, rec, "cpu")
    assert "model.json" in str(err.value)


def _box(x0: float, x1: float, y0: float = 50.0, h: float = 30.0) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y0 + h], [x0, y0 + h]], float)


def test_pieces_of_a_word_are_neighbours_on_one_line_with_a_fragment_among_them() -> None:
    from ocrstudio.core.words import joined_quad, on_one_line, pieces_of_words

    quads = [
        _box(10, 60),
        _box(63, 80),
        _box(84, 130),  # "HA" "N" "TU", 3-4 px apart
        _box(160, 260),  # a word one height further on
        _box(10, 60, y0=90),
    ]  # the line below
    assert on_one_line(quads[0], quads[1], 0.15) and not on_one_line(quads[0], quads[4], 1.0)
    assert not on_one_line(quads[2], quads[3], 0.5) and on_one_line(quads[2], quads[3], 1.0)
    turn = np.array([[np.cos(0.5), np.sin(0.5)], [-np.sin(0.5), np.cos(0.5)]])
    long = _box(63, 140)
    tilted = (long - long.mean(0)) @ turn + long.mean(0)
    assert on_one_line(quads[0], long, 0.15) and not on_one_line(quads[0], tilted, 1.0)
    fragment = [True, True, True, False, True]
    assert pieces_of_words(quads, [True] * 5, fragment, 0.15) == [[0, 1, 2]]
    # two whole words are never pieces, however close; a line read as words is not either
    assert pieces_of_words(quads, [True] * 5, [False] * 5, 0.15) == []
    assert pieces_of_words(quads, [True, False, True, True, True], fragment, 0.15) == []
    assert pieces_of_words(quads, [True] * 5, fragment, 1.0) == [[0, 1, 2, 3]]
    assert polygon_iou(joined_quad(quads[:3]), _box(10, 130)) > 0.99


def _pieces(word: str, cuts: list[int]) -> tuple[np.ndarray, list[np.ndarray]]:
    """A word drawn as the lines above are, and boxes around pieces of it (cut after the
    given numbers of characters), each ending where its last character ends."""
    from ocrstudio.training.synth.common import FontPool

    font = FontPool().pick(np.random.default_rng(4), word, 40)
    assert font is not None
    img = Image.new("RGB", (600, 160), (235, 230, 220))
    draw = ImageDraw.Draw(img)
    draw.text((40, 60), word, font=font, fill=(20, 20, 30))
    x0, y0, _, y1 = draw.textbbox((40, 60), word, font=font)
    edges = [x0] + [draw.textbbox((40, 60), word[:k], font=font)[2] for k in cuts]
    edges.append(draw.textbbox((40, 60), word, font=font)[2])
    return np.asarray(img), [_box(a + 1, b - 1, y0, y1 - y0) for a, b in itertools.pairwise(edges)]


class _Boxes:
    """A detector that finds given regions, all surely."""

    def __init__(self, quads: list[np.ndarray]):
        self.quads = quads

    def predict_batch(self, images):  # type: ignore[no-untyped-def]
        return [
            [Region(polygon=Polygon.from_array(q), det_score=0.9) for q in self.quads]
            for _ in images
        ]


def test_the_shipped_recognizer_joins_the_pieces_of_a_broken_word() -> None:
    from ocrstudio.engine.predictor import OcrPredictor
    from ocrstudio.engine.recognition.predictor import RecognitionPredictor
    from ocrstudio.engine.verification import Verification
    from ocrstudio.services.ocr import resolve_model

    image, pieces = _pieces("HANTU", [2, 3])
    rec = RecognitionPredictor.from_checkpoint(resolve_model(None, "recognizer"), "cpu")
    verify = Verification(candidates=0.5, sure=0.8, min_reading=0.5, min_chars=3)
    det = _Boxes(pieces)
    apart = OcrPredictor(det, rec, verify=verify).predict(image)  # type: ignore[arg-type]
    assert len(apart.regions) == 3  # sure boxes stay whatever they read
    assert all(len(r.text) < 3 for r in apart.regions), [r.text for r in apart.regions]
    joining = dataclasses.replace(verify, join_gap=0.3)
    page = OcrPredictor(det, rec, verify=joining).predict(image)  # type: ignore[arg-type]
    assert [r.text for r in page.regions] == ["HANTU"]
    assert page.regions[0].det_score == 0.9 and page.regions[0].order == 0
    assert polygon_iou(page.regions[0].polygon.as_array(), joined_quad(pieces)) > 0.99
