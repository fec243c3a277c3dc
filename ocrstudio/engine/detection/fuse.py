"""Fold eval-mode BatchNorm into the convolution before it, for inference only.

A frozen BN is a per-channel affine map, so conv -> BN equals one conv with rescaled
weights and a bias; folding removes a full pass over every feature map (a sixth of a
MobileNetV3 DBNet's CPU time). Pairs are found where the network defines them:
adjacent modules of an nn.Sequential (torchvision's Conv2dNormActivation, VGG features,
the DB heads, downsample branches) and `convN` / `bnN` attributes (ResNet blocks and
stems). The folded BN becomes nn.Identity. Never use a folded model for training.
"""

from __future__ import annotations

from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from ocrstudio.engine.network import Network

Conv = nn.Conv2d | nn.ConvTranspose2d


def _foldable(conv: nn.Module | None, bn: nn.Module | None) -> tuple[Conv, nn.BatchNorm2d] | None:
    """The pair when `bn` can fold into `conv` (exactly a Conv2d or ConvTranspose2d: a
    subclass may compute something else), else None."""
    if (
        isinstance(conv, Conv)
        and type(conv) in (nn.Conv2d, nn.ConvTranspose2d)
        and isinstance(bn, nn.BatchNorm2d)
        and bn.track_running_stats
        and bn.running_mean is not None
    ):
        return conv, bn
    return None


def _fused(conv: Conv, bn: nn.BatchNorm2d) -> nn.Module:
    return fuse_conv_bn_eval(conv, bn, transpose=isinstance(conv, nn.ConvTranspose2d))


def _fold_sequential(seq: nn.Sequential) -> int:
    names = list(seq._modules)
    count = 0
    for a, b in zip(names, names[1:], strict=False):
        pair = _foldable(seq._modules[a], seq._modules[b])
        if pair is not None:
            seq._modules[a] = _fused(*pair)
            seq._modules[b] = nn.Identity()
            count += 1
    return count


def _fold_named_pairs(module: nn.Module) -> int:
    count = 0
    for name, child in list(module.named_children()):
        if not name.startswith("conv"):
            continue
        bn_name = "bn" + name[len("conv") :]
        pair = _foldable(child, getattr(module, bn_name, None))
        if pair is not None:
            setattr(module, name, _fused(*pair))
            setattr(module, bn_name, nn.Identity())
            count += 1
    return count


def fold_batchnorm(model: Network) -> int:
    """Fold in place (the model must be in eval mode); returns how many BNs went."""
    if model.training:
        raise ValueError("fold BatchNorm only into a model in eval mode")
    count = 0
    for module in list(model.modules()):
        if isinstance(module, nn.Sequential):
            count += _fold_sequential(module)
        count += _fold_named_pairs(module)
    return count
