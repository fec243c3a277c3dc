"""engine/clip_backbone.py: CLIP models from local files, tags only when downloads are
allowed, random otherwise; never the network in tests."""

from __future__ import annotations

import logging
import warnings

import pytest
import torch
from safetensors.torch import save_file

from ocrstudio.core.errors import InputError
from ocrstudio.engine.clip_backbone import create_clip, load_clip_state_dict

TINY = {
    "embed_dim": 32,
    "quick_gelu": True,
    "vision_cfg": {
        "image_size": 64,
        "layers": [1, 1, 1, 1],
        "width": 8,
        "head_width": 32,
        "patch_size": None,
    },
    "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    from open_clip import pretrained

    def refuse(*args: object, **kwargs: object) -> str:
        raise AssertionError("a test tried to download CLIP weights")

    monkeypatch.setattr(pretrained, "download_pretrained", refuse)


def _tiny(weights: object = None, **kwargs: object) -> torch.nn.Module:
    return create_clip("tiny", weights, model_cfg=TINY, **kwargs)  # type: ignore[arg-type]


def _same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_random_init_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        torch.manual_seed(0)
        a = _tiny()
    assert "random weights" in caplog.text
    torch.manual_seed(1)
    assert not _same(a, _tiny())  # really random, not some fixed file


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_local_file_loads_exactly(tmp_path, suffix: str) -> None:
    torch.manual_seed(0)
    source = _tiny()
    path = tmp_path / f"clip{suffix}"
    state = {k: v.contiguous() for k, v in source.state_dict().items()}
    if suffix == ".pt":
        torch.save({"state_dict": {f"module.{k}": v for k, v in state.items()}}, path)
    else:
        save_file(state, str(path))
    torch.manual_seed(1)
    loaded = _tiny(path)
    assert _same(source, loaded)


def test_resizes_pool_grid_and_truncates_text(tmp_path) -> None:
    torch.manual_seed(0)
    source = _tiny()
    path = tmp_path / "clip.pt"
    torch.save(source.state_dict(), path)
    big = _tiny(path, image_size=128, context_length=10)
    pos = big.visual.attnpool.positional_embedding
    assert pos.shape == (1 + 4 * 4, 256)
    src_pos = source.visual.attnpool.positional_embedding
    assert torch.equal(pos[0], src_pos[0])  # the class position is kept as is
    # a bilinear 2x upsampling keeps the grid's mean close and its range inside the old one
    assert pos[1:].max() <= src_pos[1:].max() + 1e-6
    assert torch.equal(big.positional_embedding, source.positional_embedding[:10])
    assert torch.equal(big.token_embedding.weight, source.token_embedding.weight)


def test_tag_without_permission_stays_offline(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        model = create_clip("RN50", "openai", model_cfg=TINY)  # allow_download=False
    assert "not allowed" in caplog.text
    assert model.visual.attnpool.positional_embedding.shape[0] == 1 + 2 * 2


def test_tag_with_permission_uses_open_clip_download(tmp_path, monkeypatch) -> None:
    from open_clip import pretrained

    torch.manual_seed(0)
    source = _tiny()
    path = tmp_path / "downloaded.pt"
    torch.save(source.state_dict(), path)
    asked: list[dict] = []

    def fake_download(cfg: dict, cache_dir: str | None = None) -> str:
        asked.append(cfg)
        return str(path)

    monkeypatch.setattr(pretrained, "download_pretrained", fake_download)
    model = create_clip("RN50-quickgelu", "openai", model_cfg=TINY, allow_download=True)
    assert asked and "RN50" in (asked[0].get("url", "") + asked[0].get("hf_hub", ""))
    assert _same(source, model)


def test_failed_download_falls_back_to_random(monkeypatch, caplog) -> None:
    from open_clip import pretrained

    def offline(cfg: dict, cache_dir: str | None = None) -> str:
        raise OSError("no network")

    monkeypatch.setattr(pretrained, "download_pretrained", offline)
    with caplog.at_level(logging.WARNING):
        create_clip("RN50", "openai", model_cfg=TINY, allow_download=True)
    assert "no network" in caplog.text and "random weights" in caplog.text


def test_bad_inputs_are_located(tmp_path) -> None:
    with pytest.raises(InputError, match="not found"):
        _tiny(tmp_path / "missing.pt")
    with pytest.raises(InputError, match="neither a file nor"):
        _tiny("no-such-tag")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="cannot read") as err:
        _tiny(junk)
    assert err.value.path == str(junk)
    other = {**TINY, "embed_dim": 16}
    torch.save(create_clip("other", None, model_cfg=other).state_dict(), tmp_path / "o.pt")
    with pytest.raises(InputError, match="other shapes"):
        _tiny(tmp_path / "o.pt")


def test_torchscript_archive_is_read_with_the_jit_loader(tmp_path) -> None:
    with warnings.catch_warnings():  # torch.jit is deprecated; OpenAI's RN50.pt is one
        warnings.simplefilter("ignore", FutureWarning)
        scripted = torch.jit.script(torch.nn.Linear(3, 2).half())
    path = tmp_path / "RN50.pt"
    scripted.save(str(path))
    state = load_clip_state_dict(path)
    assert set(state) == {"weight", "bias"}
    assert state["weight"].dtype == torch.float32  # OpenAI ships fp16; we load float32
