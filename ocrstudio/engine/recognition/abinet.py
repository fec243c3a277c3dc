"""ABINet's vision model (Fang et al., CVPR 2021), the network only.

ResNet-45 (basic blocks 3-4-6-6-3, 32x128 input -> 8x32 features of width 512), a
transformer encoder over the 256 feature positions (3 post-norm layers, d 512, 8 heads,
FFN 2048, sinusoidal positions), then position attention: keys from a mini U-Net over the
feature map, queries from the sinusoidal encoding of the reading positions 0..25
(25 characters + stop), values the features themselves. Each query's attention-weighted
sum is its glimpse vector; a linear classifier reads a class from each glimpse.

Training objective (config `objective`, `compute_loss`): "ce" is ABINet's cross-entropy
over characters and the stop token; "conclr" is ConCLR (`conclr.py`, an objective any
attention recognizer could take), which adds a projection head to the module. That head
is used only by the loss: recognition never touches it, and it is kept in the state dict
so a ConCLR run resumes exactly (a "ce" config has no head).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ocrstudio.core.charset import Charset
from ocrstudio.engine.recognition.classifier import grown_classifier
from ocrstudio.engine.recognition.conclr import ConCLRConfig, ProjectionHead, conclr_objective
from ocrstudio.engine.recognition.preprocess import RecInput
from ocrstudio.engine.recognition.types import RecResult
from ocrstudio.engine.spec import IMAGENET_MEAN, IMAGENET_STD
from ocrstudio.engine.tokenizer import AttnTokenizer


@dataclass(frozen=True)
class ABINetVisionConfig:
    """Defaults are the published vision model. `widths[-1]` is the model width d."""

    input: RecInput = field(
        default_factory=lambda: RecInput(
            height=32, width=128, channels=3, mean=IMAGENET_MEAN, std=IMAGENET_STD
        )
    )
    max_length: int = 25
    stem_width: int = 32
    widths: tuple[int, ...] = (32, 64, 128, 256, 512)
    blocks: tuple[int, ...] = (3, 4, 6, 6, 3)
    strides: tuple[int, ...] = (2, 1, 2, 1, 1)
    num_layers: int = 3
    num_heads: int = 8
    ffn_dim: int = 2048
    dropout: float = 0.1
    attn_channels: int = 64
    objective: Literal["ce", "conclr"] = "ce"
    conclr: ConCLRConfig = field(default_factory=ConCLRConfig)

    @property
    def d_model(self) -> int:
        return self.widths[-1]


def sinusoid_table(length: int, d_model: int) -> Tensor:
    """(length, d) sinusoidal position encoding of Vaswani et al."""
    pos = torch.arange(length, dtype=torch.float32).unsqueeze(1)
    div = torch.exp(
        torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model)
    )
    table = torch.zeros(length, d_model)
    table[:, 0::2] = torch.sin(pos * div)
    table[:, 1::2] = torch.cos(pos * div[: d_model // 2])
    return table


class BasicBlock(nn.Module):
    """ResNet-45's block: 1x1 conv then a (possibly strided) 3x3 conv, as ABINet has it."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.down is None else self.down(x)))


class ResNet45(nn.Module):
    def __init__(self, cfg: ABINetVisionConfig):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(cfg.input.channels, cfg.stem_width, 3, 1, 1, bias=False),
            nn.BatchNorm2d(cfg.stem_width),
            nn.ReLU(inplace=True),
        )
        stages, cin = [], cfg.stem_width
        for width, n, stride in zip(cfg.widths, cfg.blocks, cfg.strides, strict=True):
            blocks = [BasicBlock(cin, width, stride)]
            blocks += [BasicBlock(width, width, 1) for _ in range(n - 1)]
            stages.append(nn.Sequential(*blocks))
            cin = width
        self.stages = nn.Sequential(*stages)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: Tensor) -> Tensor:
        return self.stages(self.stem(x))


def _conv_bn_relu(cin: int, cout: int, stride: tuple[int, int]) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class PositionAttention(nn.Module):
    """Queries = projected position encodings, keys = mini U-Net(features), values =
    features. Returns glimpses (B, T, d) and attention maps (B, T, H, W)."""

    def __init__(self, d_model: int, channels: int, num_positions: int):
        super().__init__()
        strides = [(1, 2), (2, 2), (2, 2), (2, 2)]
        ins = [d_model, channels, channels, channels]
        self.down = nn.ModuleList(
            _conv_bn_relu(i, channels, s) for i, s in zip(ins, strides, strict=True)
        )
        self.up = nn.ModuleList(_conv_bn_relu(channels, channels, (1, 1)) for _ in range(3))
        self.up_last = _conv_bn_relu(channels, d_model, (1, 1))
        self.project = nn.Linear(d_model, d_model)
        self.register_buffer("queries", sinusoid_table(num_positions, d_model), persistent=False)

    def keys(self, x: Tensor) -> Tensor:
        skips = []
        k = x
        for layer in self.down:
            k = layer(k)
            skips.append(k)
        # Upsample to the size of the matching encoder output (ABINet doubles the size,
        # which is the same for 8x32 maps but also works for other input sizes).
        for layer, skip in zip(self.up, reversed(skips[:-1]), strict=True):
            k = layer(F.interpolate(k, size=skip.shape[2:], mode="nearest")) + skip
        return self.up_last(F.interpolate(k, size=x.shape[2:], mode="nearest"))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        n, e, h, w = x.shape
        k = self.keys(x).flatten(2)  # (N, E, HW)
        q = self.project(self.queries).unsqueeze(0).expand(n, -1, -1)  # (N, T, E)
        attn = torch.softmax(q @ k / math.sqrt(e), dim=-1)  # (N, T, HW)
        glimpses = attn @ x.flatten(2).transpose(1, 2)  # (N, T, E)
        return glimpses, attn.view(n, -1, h, w)


def decoder_parts(
    config: ABINetVisionConfig | Any, num_classes: int
) -> tuple[nn.TransformerEncoder, PositionAttention, nn.Linear, ProjectionHead | None]:
    """ABINet-vision's decoder as its recognizers hold it (the attributes `encoder`,
    `attention`, `cls`, `projection`, so their weights keep their names): a transformer
    encoder over the visual features, position attention with one query per character
    and the end, the classifier, and ConCLR's projection head when the objective is
    "conclr". `config` has ABINetVisionConfig's decoder fields (d_model, num_heads,
    ffn_dim, dropout, num_layers, attn_channels, max_length, objective, conclr)."""
    d = config.d_model
    layer = nn.TransformerEncoderLayer(
        d, config.num_heads, config.ffn_dim, config.dropout, activation="relu", batch_first=True
    )
    encoder = nn.TransformerEncoder(layer, config.num_layers, enable_nested_tensor=False)
    attention = PositionAttention(d, config.attn_channels, config.max_length + 1)
    projection = (
        ProjectionHead(d, config.conclr.proj_hidden, config.conclr.proj_dim)
        if config.objective == "conclr"
        else None
    )
    return encoder, attention, nn.Linear(d, num_classes), projection


class ABINetVision(nn.Module):
    """A `recognition.protocol.Recognizer`."""

    pos_table: Tensor  # a buffer, registered below

    def __init__(self, config: ABINetVisionConfig, charset: Charset):
        super().__init__()
        if config.objective not in ("ce", "conclr"):
            raise ValueError(f"objective must be 'ce' or 'conclr', not {config.objective!r}")
        self.config = config
        self.charset = charset
        self.tokenizer = AttnTokenizer(charset, config.max_length)
        d = config.d_model
        fh, fw = self._feature_size(config)
        self.backbone = ResNet45(config)
        self.register_buffer("pos_table", sinusoid_table(fh * fw, d), persistent=False)
        self.pos_dropout = nn.Dropout(config.dropout)
        self.encoder, self.attention, self.cls, self.projection = decoder_parts(
            config, self.tokenizer.num_classes
        )

    @staticmethod
    def _feature_size(cfg: ABINetVisionConfig) -> tuple[int, int]:
        h, w = cfg.input.height, cfg.input.width
        for s in cfg.strides:
            h, w = math.ceil(h / s), math.ceil(w / s)
        return h, w

    def glimpses_and_logits(self, images: Tensor) -> tuple[Tensor, Tensor]:
        feats = self.backbone(images)
        n, c, h, w = feats.shape
        seq = feats.flatten(2).transpose(1, 2)  # (N, HW, C)
        seq = self.encoder(self.pos_dropout(seq + self.pos_table[: h * w]))
        glimpses, _ = self.attention(seq.transpose(1, 2).reshape(n, c, h, w))
        return glimpses, self.cls(glimpses)

    def forward(self, images: Tensor, targets: list[str] | None = None) -> dict[str, Tensor]:
        if targets is None:
            return {"logits": self.glimpses_and_logits(images)[1]}
        return self.compute_loss(images, targets)

    def compute_loss(self, images: Tensor, targets: list[str]) -> dict[str, Tensor]:
        if self.projection is not None:
            return conclr_objective(
                self.glimpses_and_logits,
                self.projection,
                images,
                targets,
                self.tokenizer,
                self.config.conclr,
            )
        _, logits = self.glimpses_and_logits(images)
        tgt = self.tokenizer.encode(targets).to(images.device)
        loss = F.cross_entropy(logits.flatten(0, 1), tgt.flatten(), ignore_index=self.tokenizer.pad)
        return {"loss": loss, "loss_rec": loss.detach()}

    def extend_charset(self, charset: Charset) -> None:
        """Grow the classifier to a charset that starts with the current one (see
        `Charset.extended`, `classifier.grown_classifier`)."""
        self.cls = grown_classifier(self.cls, self.charset, charset)
        self.charset = charset
        self.tokenizer = AttnTokenizer(charset, self.config.max_length)

    def read(self, images: Tensor) -> list[RecResult]:
        return self.tokenizer.decode(self.glimpses_and_logits(images)[1].softmax(-1))


def build_abinet_vision(config: ABINetVisionConfig, charset: Charset | None) -> ABINetVision:
    if charset is None:
        raise ValueError("a recognizer needs a charset")
    return ABINetVision(config, charset)


_TINY = ABINetVisionConfig(
    widths=(16, 16, 32, 32, 64),
    blocks=(1, 1, 1, 1, 1),
    stem_width=16,
    num_layers=1,
    num_heads=4,
    ffn_dim=128,
    dropout=0.0,
    attn_channels=16,
    conclr=ConCLRConfig(proj_hidden=64, proj_dim=32),
)

DEFAULT_CFGS: dict[str, dict[str, ABINetVisionConfig]] = {
    "abinet_vision": {
        "full": ABINetVisionConfig(),
        "conclr": ABINetVisionConfig(objective="conclr"),
        # A narrow network for tests and CPUs: learns a handful of words in about a minute.
        "tiny": _TINY,
        "tiny_conclr": dataclasses.replace(_TINY, objective="conclr"),
    }
}
