"""DBNet networks: every tiny config trains a step, backbones match torchvision and CRAFT,
the loss terms compute what the reference computes."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision

from ocrstudio.core.errors import InputError
from ocrstudio.engine.detection.backbones import BackboneConfig, build_backbone, feature_strides
from ocrstudio.engine.detection.craft_vgg import CraftVGGTrunk
from ocrstudio.engine.detection.dbnet import DBLossConfig, DBNet, DBNetConfig, balanced_bce, db_loss
from ocrstudio.engine.detection.fpn import FPN
from ocrstudio.engine.detection.fuse import fold_batchnorm
from ocrstudio.engine.detection.head import DBHead
from ocrstudio.engine.detection.targets import make_targets
from ocrstudio.engine.detection.zoo import DETECTORS
from ocrstudio.engine.importers.craft import load_craft_vgg_trunk

DBNETS = sorted(n for n in DETECTORS if n.startswith("dbnet_"))


def _targets(n: int, size: int) -> dict[str, torch.Tensor]:
    box = np.array([[8, 10], [size - 8, 10], [size - 8, 30], [8, 30]], float)
    maps = make_targets([box], [False], size, size).maps()
    return {k: torch.from_numpy(v)[None].repeat(n, 1, 1) for k, v in maps.items()}


@pytest.mark.parametrize("name", DBNETS)
def test_tiny_config_forward_and_backward(name: str) -> None:
    torch.manual_seed(0)
    spec = DETECTORS[name]
    model = spec.build(spec.config("tiny"), None).train()
    out = model(torch.randn(2, 3, 64, 64), _targets(2, 64))
    for key in ("prob", "thresh", "binary"):
        assert out[key].shape == (2, 1, 64, 64)
        assert out[key].min().item() >= 0 and out[key].max().item() <= 1
    assert torch.allclose(out["binary"], torch.sigmoid(50 * (out["prob"] - out["thresh"])))
    assert math.isfinite(out["loss"].item()) and out["loss"].item() > 0
    out["loss"].backward()
    first = next(model.backbone.parameters())
    assert first.grad is not None and first.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        assert set(model(torch.randn(1, 3, 64, 96))) == {"prob", "prob_logits"}


@pytest.mark.parametrize(
    "name", ["resnet18", "resnet50", "resnet50_dcn", "mobilenet_v3_large", "vgg16_bn_craft"]
)
def test_backbones_tap_strides_4_to_32(name: str) -> None:
    depths = (1, 1, 1, 1) if name.startswith("resnet50") else None
    trunk = build_backbone(BackboneConfig(name, width=0.25, depths=depths))
    assert feature_strides(trunk, 64) == [4, 8, 16, 32]
    assert len(trunk.out_channels) == 4


def test_full_resnets_are_torchvision_resnets() -> None:
    with torch.device("meta"):
        for name, tv in (
            ("resnet18", torchvision.models.resnet18),
            ("resnet50", torchvision.models.resnet50),
        ):
            ours = build_backbone(BackboneConfig(name)).state_dict()
            theirs = {k: v for k, v in tv().state_dict().items() if not k.startswith("fc.")}
            assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in theirs.items()}
        dcn = build_backbone(BackboneConfig("resnet50_dcn")).state_dict()
    extra = sorted({k.split(".")[0] for k in set(dcn) - set(ours)})
    assert extra == ["layer2", "layer3", "layer4"]  # offset convs in stages 3-5 only


def test_modulated_dcn_with_open_mask_and_zero_offsets_is_the_plain_conv() -> None:
    torch.manual_seed(0)
    plain = build_backbone(BackboneConfig("resnet50", width=0.25, depths=(1, 1, 1, 1))).eval()
    dcn = build_backbone(BackboneConfig("resnet50_dcn", width=0.25, depths=(1, 1, 1, 1))).eval()
    dcn.load_state_dict(plain.state_dict(), strict=False)
    for m in dcn.modules():
        if hasattr(m, "offset"):
            with torch.no_grad():
                m.offset.bias[18:] = 30.0  # mask = sigmoid(30) = 1; offsets stay 0
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        for a, b in zip(plain(x), dcn(x), strict=True):
            torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)


def test_fpn_and_head_shapes_as_published() -> None:
    fpn = FPN((64, 128, 256, 512))
    assert fpn.out_channels == 256
    feats = [
        torch.randn(1, c, 64 // s, 64 // s) for c, s in ((64, 4), (128, 8), (256, 16), (512, 32))
    ]
    fused = fpn(feats)
    assert fused.shape == (1, 256, 16, 16)
    out = DBHead(256, k=50).eval()(fused)
    assert out["prob"].shape == (1, 1, 64, 64) and "thresh" in out


def _craft_like_state() -> dict[str, torch.Tensor]:
    torch.manual_seed(1)
    trunk = CraftVGGTrunk()
    state = {f"module.basenet.{k}": v for k, v in trunk.state_dict().items()}
    state["module.upconv1.conv.0.weight"] = torch.zeros(512, 1536, 1, 1)  # CRAFT's U-net
    state["module.conv_cls.8.bias"] = torch.zeros(2)
    return state


def test_craft_trunk_loader_maps_keys(tmp_path: Path) -> None:
    state = _craft_like_state()
    path = tmp_path / "craft.pth"
    torch.save(state, path)
    loaded = load_craft_vgg_trunk(path)
    fresh = CraftVGGTrunk()
    fresh.load_state_dict(loaded, strict=True)
    torch.testing.assert_close(fresh.slice5[1].weight, state["module.basenet.slice5.1.weight"])
    with torch.device("meta"):  # the full DBNet's trunk has exactly these tensors
        model = DBNet(DBNetConfig(backbone=BackboneConfig("vgg16_bn_craft")))
    assert {k: v.shape for k, v in model.backbone.state_dict().items()} == {
        k: v.shape for k, v in loaded.items()
    }
    torch.save({"other.weight": torch.zeros(1)}, tmp_path / "bad.pth")
    with pytest.raises(InputError, match="basenet"):
        load_craft_vgg_trunk(tmp_path / "bad.pth")
    with pytest.raises(InputError):
        load_craft_vgg_trunk(tmp_path / "missing.pth")


def test_real_craft_weights_load_into_the_trunk() -> None:
    models = pytest.importorskip("easyocr_en_models")  # training-time extra, not a dependency
    path = Path(models.model_dir()) / "craft_mlt_25k.pth"
    CraftVGGTrunk().load_state_dict(load_craft_vgg_trunk(path), strict=True)


def test_balanced_bce_keeps_three_hardest_negatives_per_positive() -> None:
    gt = torch.tensor([[1.0, 0, 0, 0, 0, 0, 0, 0]])
    mask = torch.ones_like(gt)
    p = torch.tensor([[0.8, 0.9, 0.7, 0.6, 0.1, 0.1, 0.1, 0.1]])
    got = balanced_bce(torch.logit(p), gt, mask, ratio=3.0)
    want = (-math.log(0.8) - math.log(0.1) - math.log(0.3) - math.log(0.4)) / 4
    assert got.item() == pytest.approx(want, rel=1e-4)
    mask[0, 1] = 0  # masked out: the next-hardest negative takes its place
    want = (-math.log(0.8) - math.log(0.3) - math.log(0.4) - math.log(0.9)) / 4
    assert balanced_bce(torch.logit(p), gt, mask).item() == pytest.approx(want, rel=1e-4)


def test_loss_weights_and_paper_variant() -> None:
    torch.manual_seed(0)
    model = DBNet(DETECTORS["dbnet_resnet18"].config("tiny")).train()
    out = model(torch.randn(2, 3, 64, 64))
    tg = _targets(2, 64)
    ref = db_loss(out, tg)
    assert ref["loss"].item() == pytest.approx(
        5 * ref["loss_prob"].item() + ref["loss_binary"].item() + 10 * ref["loss_thresh"].item(),
        rel=1e-5,
    )
    paper = db_loss(out, tg, DBLossConfig.paper())
    assert paper["loss_prob"].item() == pytest.approx(ref["loss_prob"].item())
    assert paper["loss_binary"].item() != pytest.approx(ref["loss_binary"].item())
    assert paper["loss"].item() == pytest.approx(
        paper["loss_prob"].item() + paper["loss_binary"].item() + 10 * paper["loss_thresh"].item(),
        rel=1e-5,
    )
    # a perfect prediction costs (almost) nothing
    perfect = {
        "prob_logits": (tg["shrink_map"][:, None] * 2 - 1) * 20,
        "binary": tg["shrink_map"][:, None],
        "thresh": tg["thresh_map"][:, None],
    }
    assert db_loss(perfect, tg)["loss"].item() < 1e-3


def test_folding_batchnorm_keeps_the_outputs() -> None:
    torch.manual_seed(0)
    x = torch.randn(1, 3, 64, 96)
    for name in DBNETS:
        model = DETECTORS[name].build(DETECTORS[name].config("tiny"), None).train()
        with torch.no_grad():
            for _ in range(2):  # move the running stats off their defaults
                model(torch.randn(2, 3, 64, 64))
        model.eval()
        with torch.no_grad():
            before = model(x)["prob"]
            folded = fold_batchnorm(model)
            after = model(x)["prob"]
        left = sum(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
        assert folded > 10 and left <= 3, name  # DCN's deformable convs keep their BN
        torch.testing.assert_close(after, before, atol=1e-4, rtol=1e-4)
    with pytest.raises(ValueError, match="eval"):
        fold_batchnorm(model.train())
