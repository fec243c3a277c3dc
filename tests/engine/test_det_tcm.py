"""TCM: dense attention pool, frozen text encoder with learning prompts, the matching map
and its loss, checkpoints, CLIP weights from a local file; a tiny TCM learns (slow)."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from open_clip.modified_resnet import AttentionPool2d

from ocrstudio.engine.checkpoint import save_checkpoint
from ocrstudio.engine.clip_backbone import CLIP_MEAN, CLIP_STD, create_clip
from ocrstudio.engine.detection.fuse import fold_batchnorm
from ocrstudio.engine.detection.targets import make_targets
from ocrstudio.engine.detection.tcm import DEFAULT_CFGS, TCM, TCMConfig
from ocrstudio.engine.detection.tcm_modules import DenseAttentionPool2d
from ocrstudio.engine.detection.zoo import DETECTORS, detector_card
from ocrstudio.engine.zoo import count_parameters, load_model

TCM_FULL, TCM_TINY = (DEFAULT_CFGS["tcm_resnet50"][k] for k in ("full", "tiny"))
WORDS = ("TEXT", "CLIP", "OCR", "2023", "SCENE", "DB")


def _tiny_model(seed: int = 0, **changes: object) -> TCM:
    torch.manual_seed(seed)
    cfg = TCMConfig(**{**TCM_TINY.__dict__, **changes})
    return TCM(cfg)


def _synthetic(seed: int, size: int = 256) -> tuple[np.ndarray, list[np.ndarray]]:
    """A textured RGB image with dark words and non-text blobs; the words' boxes."""
    rng = np.random.default_rng(seed)
    img = rng.integers(150, 256, (size // 8, size // 8, 3)).astype(np.uint8)
    img = cv2.resize(img, (size, size), interpolation=cv2.INTER_CUBIC)
    for _ in range(3):  # distractors: filled shapes that are not text
        c = tuple(int(v) for v in rng.integers(0, 120, 3))
        cv2.circle(
            img,
            tuple(int(v) for v in rng.integers(20, size - 20, 2)),
            int(rng.integers(8, 20)),
            c,
            -1,
        )
    boxes: list[np.ndarray] = []
    y = int(rng.integers(10, 30))
    while y < size - 40:
        word = str(rng.choice(WORDS))
        scale = float(rng.uniform(0.9, 1.3))
        (w, h), base = cv2.getTextSize(word, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
        x = int(rng.integers(4, max(5, size - w - 4)))
        cv2.putText(
            img, word, (x, y + h), cv2.FONT_HERSHEY_SIMPLEX, scale, (20, 20, 20), 2, cv2.LINE_AA
        )
        boxes.append(
            np.array([[x, y], [x + w, y], [x + w, y + h + base], [x, y + h + base]], float)
        )
        y += h + base + int(rng.integers(12, 30))
    return img, boxes


def _batch(seeds: tuple[int, ...], size: int = 256) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    images, maps = [], []
    for s in seeds:
        img, boxes = _synthetic(s, size)
        images.append(img)
        maps.append(make_targets(boxes, [False] * len(boxes), size, size).maps())
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 255.0
    x = (x - torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)) / torch.tensor(CLIP_STD).view(1, 3, 1, 1)
    targets = {k: torch.from_numpy(np.stack([m[k] for m in maps])) for k in maps[0]}
    return x, targets


def test_dense_pool_global_output_is_clips_and_every_location_is_a_query() -> None:
    torch.manual_seed(0)
    pool = AttentionPool2d(spacial_dim=4, embed_dim=64, num_heads=4, output_dim=64).eval()
    dense = DenseAttentionPool2d.from_pool(pool).eval()
    x = torch.randn(2, 64, 4, 4)
    glob, per_pixel = dense(x)
    assert torch.allclose(glob, pool(x), atol=1e-5)
    assert per_pixel.shape == (2, 64, 4, 4)
    # every location: the same attention with that location's token as the query
    mha = torch.nn.MultiheadAttention(64, 4).eval()
    mha.in_proj_weight.data = torch.cat(
        [pool.q_proj.weight, pool.k_proj.weight, pool.v_proj.weight]
    ).detach()
    mha.in_proj_bias.data = torch.cat(
        [pool.q_proj.bias, pool.k_proj.bias, pool.v_proj.bias]
    ).detach()
    mha.out_proj.weight.data = pool.c_proj.weight.detach().clone()
    mha.out_proj.bias.data = pool.c_proj.bias.detach().clone()
    tokens = x.flatten(2).permute(2, 0, 1)
    tokens = torch.cat([tokens.mean(0, keepdim=True), tokens]) + pool.positional_embedding[:, None]
    with torch.no_grad():
        expected = mha(tokens, tokens, tokens, need_weights=False)[0]
    assert torch.allclose(per_pixel.flatten(2).permute(2, 0, 1), expected[1:], atol=1e-5)
    # other input sizes work: the position grid is resized
    assert dense(torch.randn(1, 64, 3, 5))[1].shape == (1, 64, 3, 5)


def test_tiny_forward_backward_shapes_and_gradients() -> None:
    model = _tiny_model().train()
    x, targets = _batch((0, 1), size=128)
    out = model(x, targets)
    for key in ("prob", "thresh", "binary"):
        assert out[key].shape == (2, 1, 128, 128)
    assert out["match"].shape == (2, 1, 4, 4)
    assert math.isfinite(out["loss"].item())
    assert torch.allclose(out["loss"], out["loss_db"] + 1.0 * out["loss_match"])
    out["loss"].backward()
    learn = [
        model.visual.conv1.weight,
        model.text_encoder.contexts,
        model.vis_gamma,
        model.text_gamma,
        model.prompt_generator[1].weight,
        model.visual_prompt.out_proj[1].weight,
        model.neck.laterals[3].weight,
    ]
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in learn)
    frozen = [
        model.text_encoder.token_embedding.weight,
        model.text_encoder.text_projection,
        model.text_encoder.positional_embedding,
        *model.text_encoder.transformer.parameters(),
    ]
    assert all(p.grad is None and not p.requires_grad for p in frozen)
    model.eval()
    with torch.no_grad():
        assert set(model(x[:1, :, :96, :]).keys()) == {"prob", "prob_logits", "match"}
        with torch.autocast("cpu", dtype=torch.bfloat16):  # the predictor's GPU path
            half = model(x)
    assert half["prob"].shape == (2, 1, 128, 128) and torch.isfinite(half["match"]).all()


def test_text_encoder_stays_frozen_while_prompts_learn() -> None:
    model = _tiny_model().train()
    x, targets = _batch((0,), size=128)
    enc = model.text_encoder
    frozen = {n: p.detach().clone() for n, p in enc.named_parameters() if n != "contexts"}
    prompts = {
        "contexts": enc.contexts,
        "vis_gamma": model.vis_gamma,
        "lang_prompt": model.prompt_generator[4].weight,
        "visual_prompt": model.visual_prompt.query_proj[1].weight,
    }
    before = {n: p.detach().clone() for n, p in prompts.items()}
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)  # everything, as a careless trainer
    for _ in range(2):
        opt.zero_grad()
        model(x, targets)["loss"].backward()
        opt.step()
    assert all(torch.equal(p, frozen[n]) for n, p in enc.named_parameters() if n in frozen)
    assert all(not torch.equal(p, before[n]) for n, p in prompts.items())
    groups = model.param_groups(1e-3)
    text_ids = {id(p) for p in frozen.values()} | {
        id(p) for _, p in enc.named_parameters() if not p.requires_grad
    }
    assert not any(id(p) in text_ids for g in groups for p in g["params"])
    assert groups[0]["lr"] == pytest.approx(1e-4)


def test_checkpoint_round_trip_through_the_zoo(tmp_path: Path) -> None:
    model = _tiny_model(seed=3).eval()
    cfg = model.config
    assert DETECTORS["tcm_resnet50"].config("tiny") == cfg
    card = detector_card("tcm_resnet50", cfg)
    assert card.normalization is not None
    assert card.normalization.mean == pytest.approx(CLIP_MEAN)
    save_checkpoint(tmp_path / "tcm", model.state_dict(), card)
    loaded, back = load_model(tmp_path / "tcm")
    assert back.architecture == "tcm_resnet50" and loaded.config == cfg
    x, _ = _batch((5,), size=128)
    with torch.no_grad():
        a, b = model(x), loaded(x)
    assert torch.allclose(a["prob"], b["prob"], atol=1e-6)
    assert torch.allclose(a["match"], b["match"], atol=1e-5)

    fused = copy.deepcopy(loaded)
    assert fold_batchnorm(fused) > 0  # what the predictor does to checkpoints it loads
    with torch.no_grad():
        c = fused(x)
    assert torch.allclose(a["prob"], c["prob"], atol=1e-4)
    assert torch.allclose(a["match"], c["match"], atol=1e-3)

    from ocrstudio.engine.detection.predictor import DetectionPredictor

    pred = DetectionPredictor.from_checkpoint(tmp_path / "tcm", device="cpu")
    img, _ = _synthetic(5, 200)
    regions = pred.predict(img)
    assert isinstance(regions, list)  # untrained: may find nothing; must run end to end
    assert pred._mean.flatten()[0].item() == pytest.approx(CLIP_MEAN[0] * 255)


def test_clip_weights_from_a_local_file(tmp_path: Path) -> None:
    towers = TCM_TINY.clip_towers.open_clip_config()
    torch.manual_seed(7)
    clip = create_clip("tiny", None, model_cfg=towers)  # a "pretrained" CLIP at 224
    path = tmp_path / "clip_tiny.pt"
    torch.save(clip.state_dict(), path)
    for model in (
        TCM(TCM_TINY, clip_weights=path),
        TCM(TCMConfig(**{**TCM_TINY.__dict__, "clip_weights": str(path)})),
    ):
        assert torch.equal(model.visual.conv1.weight, clip.visual.conv1.weight)
        assert torch.equal(model.visual.attnpool.q_proj.weight, clip.visual.attnpool.q_proj.weight)
        assert torch.equal(
            model.text_encoder.positional_embedding,
            clip.positional_embedding[: TCM_TINY.n_context + TCM_TINY.prompt_tokens],
        )
        assert torch.equal(
            model.text_encoder.transformer.resblocks[0].mlp.c_fc.weight,
            clip.transformer.resblocks[0].mlp.c_fc.weight,
        )
        # 224 -> 256 input: the 7x7 position grid became 8x8, class position unchanged
        pos = model.visual.attnpool.positional_embedding
        assert pos.shape[0] == 1 + 8 * 8
        assert torch.equal(pos[0], clip.visual.attnpool.positional_embedding[0])
        # checkpoints record the architecture, not the init file (whose tensors they hold)
        assert model.config.clip_weights is None and model.clip_source == str(path)


def test_full_config_has_the_reference_parameter_count() -> None:
    # Built on the meta device: shapes only, no memory, no weights.
    with torch.device("meta"):
        model = TCM(TCM_FULL)
    # wenwenyu/TCM's model (see benchmarks/bench_tcm.py for the per-part arithmetic)
    assert count_parameters(model) == 114_076_899
    assert model.visual.attnpool.positional_embedding.shape == (1 + 20 * 20, 2048)
    assert model.neck.laterals[3].in_channels == 2048 + 1


@pytest.mark.slow
def test_tiny_tcm_learns_and_its_matching_map_finds_text() -> None:
    model = _tiny_model(seed=0).train()
    x, targets = _batch((11, 12))
    mask = targets["shrink_map"].numpy()

    def match_quality() -> tuple[float, float]:
        """Pearson r of the logits with each 1/32 cell's text fraction, and the AUC of
        cells over 20 % text against text-free cells."""
        model.eval()
        with torch.no_grad():
            logits = model(x)["match"][:, 0].numpy()
        model.train()
        grid = (logits.shape[2], logits.shape[1])
        cells = np.stack([cv2.resize(m, grid, interpolation=cv2.INTER_AREA) for m in mask])
        r = float(np.corrcoef(logits.ravel(), cells.ravel())[0, 1])
        pos, neg = logits[cells > 0.2], logits[cells == 0]
        return r, float((pos[:, None] > neg[None, :]).mean())

    r_before, auc_before = match_quality()
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    losses, match_losses = [], []
    for _ in range(40):
        out = model(x, targets)
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
        losses.append(out["loss"].item())
        match_losses.append(out["loss_match"].item())
    r_after, auc_after = match_quality()
    print(
        f"loss {losses[0]:.3f} -> {np.mean(losses[-5:]):.3f}; match loss "
        f"{match_losses[0]:.3f} -> {np.mean(match_losses[-5:]):.3f}; "
        f"Pearson r(match, text mask) {r_before:.3f} -> {r_after:.3f}; "
        f"AUC {auc_before:.3f} -> {auc_after:.3f}"
    )
    assert np.mean(losses[-5:]) < 0.7 * np.mean(losses[:3])
    assert np.mean(match_losses[-5:]) < 0.8 * np.mean(match_losses[:3])
    assert r_after > 0.3 and r_after > r_before + 0.1
    assert auc_after > 0.85
