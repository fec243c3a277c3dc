"""`ocrstudio eval det|rec` through the real entry point (`ocrstudio.cli.main`)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ocrstudio.cli as cli
from ocrstudio.formats import read_labels, write_labels


@pytest.fixture
def ocrstudio(monkeypatch, capsys):
    """Run `ocrstudio ARGS...`; returns (exit code, parsed JSON line or None, stderr).
    Only this verb is registered, so the test does not depend on the other verbs."""
    monkeypatch.setattr(cli, "VERB_MODULES", ("ocrstudio.cli.evaluate",))

    def run(*args: str | Path) -> tuple[int, dict | None, str]:
        code = cli.main([str(a) for a in args])
        out, err = capsys.readouterr()
        lines = out.strip().splitlines()
        assert len(lines) <= 1, out
        return code, json.loads(lines[0]) if lines else None, err

    return run


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_det_pairs_by_stem_and_counts_missing_predictions(tmp_path, ocrstudio):
    gt1 = "0,0,10,0,10,10,0,10,Hello\n50,0,60,0,60,10,50,10,###\n"
    write(tmp_path / "gt" / "gt_img_1.txt", gt1)
    write(tmp_path / "gt" / "gt_img_2.txt", "0,0,10,0,10,10,0,10,World\n")  # no prediction file
    write(tmp_path / "pred" / "res_img_1.txt", "1,0,11,0,11,10,1,10\n51,1,59,1,59,9,51,9\n")
    code, result, _ = ocrstudio("eval", "det", "--gt", tmp_path / "gt", "--pred", tmp_path / "pred")
    assert code == 0
    assert (result["precision"], result["recall"], result["images"]) == (1.0, 0.5, 2)
    assert result["hmean"] == pytest.approx(2 / 3)
    assert "e2e_hmean" not in result  # the predictions carry no text


def test_det_end_to_end_when_both_sides_have_text(tmp_path, ocrstudio):
    write(tmp_path / "gt" / "gt_a.txt", "0,0,10,0,10,10,0,10,Hello\n0,20,10,20,10,30,0,30,World\n")
    pred = "0,0,10,0,10,10,0,10,HELLO\n0,20,10,20,10,30,0,30,w0rld\n"
    write(tmp_path / "pred" / "res_a.txt", pred)
    code, result, _ = ocrstudio(
        "eval", "det", "--gt", tmp_path / "gt", "--pred", tmp_path / "pred", "--format", "icdar2015"
    )
    assert code == 0 and result["hmean"] == 1.0
    assert (result["e2e_precision"], result["e2e_recall"], result["e2e_hmean"]) == (0.5, 0.5, 0.5)
    assert result["spot_hmean"] == 0.5


def test_det_bad_input_names_file_and_line(tmp_path, ocrstudio):
    write(tmp_path / "gt" / "gt_a.txt", "0,0,10,0,10,10,0,10,ok\n")
    bad = write(tmp_path / "pred" / "res_a.txt", "0,0,10,0,10,10,0,10\n0,0,10,zero,1,1,1,1\n")
    code, result, err = ocrstudio("eval", "det", "--gt", tmp_path / "gt", "--pred", bad.parent)
    assert code == 2 and result is None
    assert f"{bad}:2:" in err and "Traceback" not in err
    write(tmp_path / "pred2" / "res_zzz.txt", "0,0,10,0,10,10,0,10\n")
    code, _, err = ocrstudio("eval", "det", "--gt", tmp_path / "gt", "--pred", tmp_path / "pred2")
    assert code == 2 and "'zzz' has no ground truth" in err
    code, _, err = ocrstudio("eval", "det", "--gt", tmp_path / "nope", "--pred", tmp_path / "gt")
    assert code == 2 and "nope" in err


def test_rec_lists_and_folders(tmp_path, ocrstudio, caplog):
    gt = write(tmp_path / "gt.txt", "crops/a.png\tHello\ncrops/b.png\tA-1\ncrops/c.png\tabc\n")
    pred = write(tmp_path / "pred.txt", "crops/b.png\ta1\ncrops/a.png\thello\n")  # c missing
    code, result, _ = ocrstudio("eval", "rec", "--gt", gt, "--pred", pred)
    assert code == 0 and result["count"] == 3
    assert result["word_acc"] == pytest.approx(2 / 3) and result["word_acc_cased"] == 0.0
    assert result["cer"] == pytest.approx((1 + 2 + 3) / (5 + 3 + 3))
    assert result["one_minus_ned"] == pytest.approx((0.8 + 1 / 3 + 0.0) / 3)
    assert "1 of 3 crops have no prediction" in caplog.text
    folder = tmp_path / "words"
    (folder / "images").mkdir(parents=True)
    for stem, text in (("a", "Hello"), ("b", "A-1")):
        Image.fromarray(np.zeros((4, 8, 3), np.uint8)).save(folder / "images" / f"{stem}.png")
        write(folder / "labels" / f"{stem}.txt", text)
    listed = write(tmp_path / "p2.txt", "images/a.png\tHello\nimages/b.png\tA-1\n")
    code, result, _ = ocrstudio("eval", "rec", "--gt", folder, "--pred", listed)
    assert code == 0 and result == {
        "word_acc": 1.0, "word_acc_cased": 1.0, "cer": 0.0, "one_minus_ned": 1.0, "count": 2,
    }  # fmt: skip
    write(tmp_path / "bad.txt", "crops/a.png\tok\nno tab here\n")
    code, _, err = ocrstudio("eval", "rec", "--gt", tmp_path / "bad.txt", "--pred", pred)
    assert code == 2 and "bad.txt:2:" in err


def test_real_icdar2015_self_score(shared_data, tmp_path, ocrstudio):
    """The protocol's own self-score: exported labels against the originals give P = 1 and
    R = 4465/4468, because three legible words lie more than half inside ### regions."""
    src = shared_data / "icdar2015_train"
    pages = read_labels("icdar2015", src / "gt")
    write_labels("icdar2015", pages, tmp_path / "export")
    code, result, _ = ocrstudio(
        "eval", "det", "--gt", src / "gt", "--pred", tmp_path / "export", "--format", "icdar2015"
    )
    assert code == 0 and result["images"] == 1000
    assert (result["matched"], result["gt_care"], result["det_care"]) == (4465, 4468, 4465)
    assert result["precision"] == 1.0
    assert result["recall"] == pytest.approx(4465 / 4468)
    assert result["hmean"] == pytest.approx(0.99966, abs=5e-6)
