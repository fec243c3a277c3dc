"""PaddleOCR PP-OCRv6 models: the torch networks, `ocrstudio models import`, and equality
with ONNX Runtime on the files RapidOCR ships (those tests skip when the `rapidocr`
package, a training-time extra, is not installed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from ocrstudio.cli import main
from ocrstudio.core.errors import InputError
from ocrstudio.engine.importers.ppocr import import_onnx, rapidocr_model
from ocrstudio.engine.zoo import get_spec, load_model

DET_FILE = rapidocr_model("PP-OCRv6_det_small.onnx")
REC_FILE = rapidocr_model("PP-OCRv6_rec_small.onnx")
needs_det = pytest.mark.skipif(
    DET_FILE is None, reason="rapidocr==3.10.0 not installed (pip install '.[train]')"
)
needs_rec = pytest.mark.skipif(
    REC_FILE is None, reason="rapidocr==3.10.0 not installed (pip install '.[train]')"
)


def _ort(path: Path, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def _photo_batch(h: int, w: int) -> np.ndarray:
    """A real photo if the shared data is there, else a drawn sign; normalised RGB."""
    import cv2

    photo = Path(__file__).resolve().parents[3] / "shared/data/icdar2015_train/images/img_10.jpg"
    if photo.is_file():
        img = cv2.cvtColor(cv2.imread(str(photo)), cv2.COLOR_BGR2RGB)
    else:
        img = np.full((720, 1280, 3), 235, np.uint8)
        for i, word in enumerate(["HARBOUR FRONT", "Exit B", "open 24 hours"]):
            cv2.putText(
                img,
                word,
                (80, 160 + 200 * i),
                cv2.FONT_HERSHEY_SIMPLEX,
                3.0,
                (20, 20, 20),
                8,
                cv2.LINE_AA,
            )
    img = cv2.resize(img, (w, h)).astype(np.float32) / 255.0
    return ((img - 0.5) / 0.5).transpose(2, 0, 1)[None].copy()


@pytest.mark.parametrize("name", ["ppocr_det_v6", "ppocr_rec_v6"])
def test_tiny_configs_learn(name: str) -> None:
    """Forward and backward on the tiny config, and a few steps lower the loss."""
    from ocrstudio.core.charset import Charset

    spec = get_spec(name)
    cfg = spec.config("tiny")
    torch.manual_seed(0)
    if spec.role == "recognizer":
        model = spec.build(cfg, Charset("abc"))
        x, targets = torch.randn(4, 3, cfg.input.height, 64), ["ab", "ca", "bca", "c"]
    else:
        from ocrstudio.engine.detection.targets import make_targets

        model = spec.build(cfg, None)
        x = torch.randn(2, 3, 128, 128)
        t = make_targets(
            [np.array([[20, 30], [100, 30], [100, 60], [20, 60]], np.float32)],
            [False],
            128,
            128,
            cfg.targets,
        )
        targets = {k: torch.from_numpy(np.stack([v, v])) for k, v in t.maps().items()}
    opt = torch.optim.Adam(model.parameters(), 1e-2)
    losses = []
    for _ in range(15):
        loss = model.train()(x, targets)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert all(np.isfinite(losses)) and losses[-1] < 0.95 * losses[0], losses


def test_fine_tuning_keeps_the_imported_batchnorm_statistics() -> None:
    """The full config fine-tunes with the neck's BatchNorms frozen (PaddleOCR's statistics
    stay; everything else trains); a tiny model from scratch learns them."""
    import dataclasses

    from ocrstudio.core.charset import Charset

    spec = get_spec("ppocr_rec_v6")
    assert spec.config("full").frozen_bn and not spec.config("tiny").frozen_bn
    cfg = dataclasses.replace(spec.config("tiny"), frozen_bn=True)
    torch.manual_seed(0)
    model = spec.build(cfg, Charset("abc")).train()
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    before = [m.running_mean.clone() for m in bns]
    loss = model(torch.randn(4, 3, 48, 64) * 3 + 1, ["ab", "ca", "bca", "c"])["loss"]
    loss.backward()
    assert bns and not any(m.training for m in bns) and model.training
    assert all(torch.equal(b, m.running_mean) for b, m in zip(before, bns, strict=True))
    assert all(m.weight.grad is not None for m in bns)  # the affine part still learns


@needs_det
def test_imported_detector_equals_onnx_runtime(tmp_path: Path) -> None:
    assert main(["models", "import", str(DET_FILE), "--out", str(tmp_path / "det")]) == 0
    model, card = load_model(tmp_path / "det")
    assert card.architecture == "ppocr_det_v6" and card.role == "detector"
    assert "Apache-2.0" in card.lineage["licence"]
    assert card.boxes == "lines"  # PaddleOCR's detectors mark lines: kept whole
    x = _photo_batch(256, 448)
    ref = _ort(DET_FILE, x[:, ::-1].copy())  # PaddleOCR reads BGR, ocrstudio RGB
    with torch.inference_mode():
        out = model(torch.from_numpy(x))["prob"].numpy()
    assert out.shape == ref.shape
    assert np.abs(out - ref).max() < 1e-3
    assert ref.max() > 0.9  # the photo's text is found: the comparison is not of zeros


@needs_rec
def test_imported_recognizer_equals_onnx_runtime(tmp_path: Path) -> None:
    assert main(["models", "import", str(REC_FILE), "--out", str(tmp_path / "rec")]) == 0
    model, card = load_model(tmp_path / "rec")
    assert card.charset is not None
    assert len(card.charset) == 18709 and card.charset.chars.endswith(" ")
    x = np.random.default_rng(1).uniform(-1, 1, (2, 3, 48, 160)).astype(np.float32)
    ref = _ort(REC_FILE, x[:, ::-1].copy())
    with torch.inference_mode():
        out = model(torch.from_numpy(x))["logits"].softmax(-1).numpy()
    assert out.shape == ref.shape == (2, 20, 18710)
    assert np.abs(out - ref).max() < 1e-3


@needs_rec
def test_recognizer_reads_a_rendered_word() -> None:
    from ocrstudio.engine.recognition.predictor import RecognitionPredictor
    from tests.support.rendered_words import WORDS, render

    predictor = RecognitionPredictor(import_onnx(REC_FILE).model)
    texts = [r.text for r in predictor.predict([render(w) for w in WORDS])]
    assert sum(t == w for t, w in zip(texts, WORDS, strict=True)) >= 7, texts


@needs_rec
def test_own_export_with_its_dictionary(tmp_path: Path) -> None:
    """A user's PP-OCRv6 small recognizer trained on their own 5-character dictionary
    (paddle2onnx keeps no dictionary): the head is smaller, --dict supplies the characters."""
    import onnx
    from onnx import numpy_helper

    m = onnx.load(str(REC_FILE))
    del m.metadata_props[:]
    head = {t.name: t for t in m.graph.initializer if t.name.startswith("linear_8.")}
    keep = [0, *range(1, 6), 18709]  # blank, five characters, space
    for name, t in head.items():
        arr = numpy_helper.to_array(t)
        arr = arr[:, keep] if arr.ndim == 2 else arr[keep]
        t.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(arr), name))
    out_dim = m.graph.output[0].type.tensor_type.shape.dim[2]
    out_dim.dim_value = len(keep)
    own = tmp_path / "own_rec.onnx"
    onnx.save(m, str(own))
    with pytest.raises(InputError, match="--dict"):
        import_onnx(own)
    chars = '!"#$%'
    (tmp_path / "dict.txt").write_text("\n".join(chars) + "\n", encoding="utf-8")
    assert (
        main(
            [
                "models",
                "import",
                str(own),
                "--out",
                str(tmp_path / "rec"),
                "--dict",
                str(tmp_path / "dict.txt"),
            ]
        )
        == 0
    )
    model, card = load_model(tmp_path / "rec")
    assert card.charset is not None and card.charset.chars == chars + " "
    x = np.random.default_rng(2).uniform(-1, 1, (1, 3, 48, 96)).astype(np.float32)
    with torch.inference_mode():
        out = model(torch.from_numpy(x))["logits"].softmax(-1).numpy()
    assert np.abs(out - _ort(own, x[:, ::-1].copy())).max() < 1e-3
    with pytest.raises(InputError, match="no such dictionary"):
        import_onnx(own, tmp_path / "missing.txt")
    (tmp_path / "short.txt").write_text("a\nb\n", encoding="utf-8")
    with pytest.raises(InputError, match="2 characters but the model predicts 7"):
        import_onnx(own, tmp_path / "short.txt")


def test_refuses_other_graphs_and_non_onnx(tmp_path: Path, capsys) -> None:
    from ocrstudio.core.charset import Charset
    from ocrstudio.engine.onnx_int8 import export_onnx

    spec = get_spec("crnn_g2")
    crnn = spec.build(spec.config("tiny"), Charset("abc"))
    other = export_onnx(crnn, tmp_path / "crnn.onnx", "recognizer", torch.zeros(1, 1, 32, 64))
    (tmp_path / "d.txt").write_text("a\nb\nc\n", encoding="utf-8")
    with pytest.raises(InputError, match="does not match ppocr_rec_v6"):
        import_onnx(other, tmp_path / "d.txt")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x00not a protobuf" * 10)
    assert main(["models", "import", str(junk), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "junk.onnx" in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_a_tensor_whose_shape_does_not_hold_its_data(tmp_path: Path, capsys) -> None:
    """Issue #25, class 13: `models import` crashed with numpy's "cannot reshape"."""
    import onnx
    from onnx import TensorProto, helper

    bad = helper.make_tensor(
        "w", TensorProto.FLOAT, [2, 3], np.zeros(6, np.float32).tobytes(), raw=True
    )
    bad.dims[:] = [4, 4]  # as a damaged or hand-made file declares it
    node = helper.make_node("Identity", ["w"], ["y"])
    graph = helper.make_graph(
        [node],
        "g",
        [],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 4])],
        initializer=[bad],
    )
    path = tmp_path / "bad.onnx"
    onnx.save(helper.make_model(graph), str(path))
    assert main(["models", "import", str(path), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "bad.onnx" in err and "'w'" in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_models_import_onto_a_full_disk_leaves_nothing_half_written(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    """Issue #25, class 5: `models import` onto a full disk was a traceback, and left what
    it had written."""
    import errno

    import ocrstudio.engine.checkpoint as ck

    def full_disk(tensors, filename, metadata=None):  # type: ignore[no-untyped-def]
        with open(filename, "wb") as f:
            f.write(b"\0" * 100)  # what fits before the disk is full
        raise OSError(errno.ENOSPC, "No space left on device", filename)

    monkeypatch.setattr(ck, "save_file", full_disk)
    out = tmp_path / "det"
    assert main(["models", "import", str(DET_FILE), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    assert err.count("\n") == 1 and not out.exists()
