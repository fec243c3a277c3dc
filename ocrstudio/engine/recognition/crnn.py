"""CRNN (Shi, Bai and Yao, TPAMI 2017 / arXiv 2015): a VGG-style convolutional feature
sequence, a deep bidirectional LSTM and CTC.

Two networks share the CTC recognizer around them (`CTCRecognizer`):
- `CRNNConfig` / `build_crnn`: the paper's network. 32x100 grayscale; 7 convolutions
  64-128-256-256-512-512-512 (3x3 pad 1, the last 2x2 without padding), batch norm after
  convolutions 3, 5 and 7, pools 2x2, 2x2, then two (2,2)-kernel pools with stride (2,1)
  and padding (0,1), so a 100-pixel-wide crop gives 26 time steps; two stacked BiLSTM(256).
- `CRNNG2Config` / `build_crnn_g2`: EasyOCR's "generation 2" English recognizer
  (english_g2) layer for layer, so its published weights load (`importers/easyocr.py`):
  VGG feature extractor with 256 output channels, height averaged away, two BiLSTM(256)
  each followed by a linear projection to 256, 64-pixel-high grayscale input of any width.
  PP-OCRv6's recognizer (`ppocr_rec`) is a `CTCRecognizer` too.

The CTC objective (`ctc_loss`) sits beside the networks; `DEFAULT_CFGS` holds the three
architectures' configs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ocrstudio.core.charset import Charset
from ocrstudio.engine.recognition.classifier import grown_classifier
from ocrstudio.engine.recognition.preprocess import RecInput
from ocrstudio.engine.recognition.types import RecResult
from ocrstudio.engine.tokenizer import CTCTokenizer

Decoder = Literal["greedy", "beam"]


@dataclass(frozen=True)
class CRNNConfig:
    """The paper's CRNN; `channels` are the 7 convolutions' widths (narrower = smaller)."""

    input: RecInput = field(default_factory=lambda: RecInput(32, 100, 1, (0.5,), (0.5,)))
    channels: tuple[int, ...] = (64, 128, 256, 256, 512, 512, 512)
    batch_norm_after: tuple[int, ...] = (3, 5, 7)  # 1-based convolution numbers
    hidden: int = 256
    lstm_layers: int = 2
    dropout: float = 0.0
    decoder: Decoder = "greedy"
    beam_width: int = 10


@dataclass(frozen=True)
class CRNNG2Config:
    """EasyOCR english_g2's shape: VGG extractor (channels out/8, out/4, out/2, out)."""

    input: RecInput = field(
        default_factory=lambda: RecInput(
            64, 512, 1, (0.5,), (0.5,), keep_ratio=True, dynamic_width=True
        )
    )
    output_channel: int = 256
    hidden: int = 256
    decoder: Decoder = "greedy"
    beam_width: int = 10


class CTCConfig(Protocol):
    """What `CTCRecognizer` reads of its network's config."""

    @property
    def input(self) -> RecInput: ...

    @property
    def decoder(self) -> Decoder: ...

    @property
    def beam_width(self) -> int: ...


def ctc_loss(
    logits: torch.Tensor, targets: torch.Tensor, target_lengths: torch.Tensor, blank: int = 0
) -> torch.Tensor:
    """Mean CTC loss of (B, T, C) logits against flat targets (`CTCTokenizer.encode`).

    Computed in float32 (log-probabilities underflow in half precision) with
    `zero_infinity`, so a label longer than the time steps it could be aligned to gives
    a zero loss instead of an infinite one. Each sample's loss is divided by its target
    length before the batch mean (PyTorch's 'mean' reduction).
    """
    log_probs = logits.float().log_softmax(-1).transpose(0, 1)  # (T, B, C)
    t, b = log_probs.shape[:2]
    input_lengths = torch.full((b,), t, dtype=torch.long)
    return F.ctc_loss(
        log_probs,
        targets.to(log_probs.device, torch.long),
        input_lengths.to(log_probs.device),
        target_lengths.to(log_probs.device, torch.long),
        blank=blank,
        reduction="mean",
        zero_infinity=True,
    )


class CTCRecognizer(nn.Module):
    """Backbone -> (B, T, D) sequence -> classifier, trained with CTC: a
    `recognition.protocol.CTCModel`.

    `backbone` maps (B, C, H, W) to (B, D, H', T); the height H' is averaged away
    (it is 1 for the paper's network). `sequence` maps (B, T, D) to (B, T, E).
    """

    def __init__(
        self,
        config: CTCConfig,
        charset: Charset,
        backbone: nn.Module,
        sequence: nn.Module,
        seq_out: int,
    ):
        super().__init__()
        self.config = config
        self.charset = charset
        self.tokenizer = CTCTokenizer(charset)
        self.backbone = backbone
        self.sequence = sequence
        self.head = nn.Linear(seq_out, self.tokenizer.num_classes)

    def logits(self, images: torch.Tensor) -> torch.Tensor:
        feats = self.backbone(images)  # (B, D, H', T)
        seq = feats.mean(dim=2).transpose(1, 2)  # (B, T, D)
        return self.head(self.sequence(seq))

    def forward(
        self, images: torch.Tensor, targets: list[str] | None = None
    ) -> dict[str, torch.Tensor]:
        if targets is None:
            return {"logits": self.logits(images)}
        return self.compute_loss(images, targets)

    def compute_loss(self, images: torch.Tensor, targets: list[str]) -> dict[str, torch.Tensor]:
        flat, lengths = self.tokenizer.encode(targets)
        loss = ctc_loss(self.logits(images), flat, lengths, blank=self.tokenizer.blank)
        return {"loss": loss, "ctc": loss.detach()}

    def read(self, images: torch.Tensor) -> list[RecResult]:
        return self.decode(self.logits(images))

    def decode(self, logits: torch.Tensor) -> list[RecResult]:
        """Texts from (B, T, C) logits: greedy or beam search, as configured."""
        return self.decode_probs(logits.float().softmax(-1).cpu())

    def decode_probs(self, probs: torch.Tensor | np.ndarray) -> list[RecResult]:
        """Texts from (B, T, C) class probabilities, as `decode` reads them."""
        if self.config.decoder == "beam":
            return self.tokenizer.decode_beam(probs, beam_width=self.config.beam_width)
        return self.tokenizer.decode_greedy(probs)

    def extend_charset(self, charset: Charset) -> None:
        """Grow the classifier to a charset that starts with the current one (see
        `Charset.extended`, `classifier.grown_classifier`)."""
        self.head = grown_classifier(self.head, self.charset, charset)
        self.charset = charset
        self.tokenizer = CTCTokenizer(charset)


# -- the paper's network ---------------------------------------------------------------


def _shi_backbone(cfg: CRNNConfig) -> nn.Sequential:
    if len(cfg.channels) != 7:
        raise ValueError("CRNN needs 7 convolution widths")
    layers: list[nn.Module] = []
    c_in = cfg.input.channels
    pools = {
        1: nn.MaxPool2d(2, 2),
        2: nn.MaxPool2d(2, 2),
        4: nn.MaxPool2d((2, 2), (2, 1), (0, 1)),
        6: nn.MaxPool2d((2, 2), (2, 1), (0, 1)),
    }
    for n, c_out in enumerate(cfg.channels, start=1):
        last = n == 7
        bn = n in cfg.batch_norm_after
        layers.append(nn.Conv2d(c_in, c_out, 2 if last else 3, 1, 0 if last else 1, bias=not bn))
        if bn:
            layers.append(nn.BatchNorm2d(c_out))
        layers.append(nn.ReLU(inplace=True))
        if n in pools:
            layers.append(pools[n])
        c_in = c_out
    return nn.Sequential(*layers)


class _StackedBiLSTM(nn.Module):
    def __init__(self, d_in: int, hidden: int, layers: int, dropout: float):
        super().__init__()
        self.rnn = nn.LSTM(
            d_in,
            hidden,
            num_layers=layers,
            bidirectional=True,
            batch_first=True,
            dropout=dropout if layers > 1 else 0.0,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rnn(x)[0]


def build_crnn(config: CRNNConfig, charset: Charset) -> CTCRecognizer:
    sequence = _StackedBiLSTM(
        config.channels[-1], config.hidden, config.lstm_layers, config.dropout
    )
    return CTCRecognizer(config, charset, _shi_backbone(config), sequence, 2 * config.hidden)


# -- EasyOCR english_g2's network --------------------------------------------------------


def _g2_backbone(c_in: int, out: int) -> nn.Sequential:
    """Same layer order (hence the same state-dict indices) as EasyOCR's
    VGG_FeatureExtractor: convs at 0, 3, 6, 8, 11, 14, 18; BN at 12 and 15."""
    c = [out // 8, out // 4, out // 2, out]
    relu = nn.ReLU
    return nn.Sequential(
        nn.Conv2d(c_in, c[0], 3, 1, 1),
        relu(True),
        nn.MaxPool2d(2, 2),
        nn.Conv2d(c[0], c[1], 3, 1, 1),
        relu(True),
        nn.MaxPool2d(2, 2),
        nn.Conv2d(c[1], c[2], 3, 1, 1),
        relu(True),
        nn.Conv2d(c[2], c[2], 3, 1, 1),
        relu(True),
        nn.MaxPool2d((2, 1), (2, 1)),
        nn.Conv2d(c[2], c[3], 3, 1, 1, bias=False),
        nn.BatchNorm2d(c[3]),
        relu(True),
        nn.Conv2d(c[3], c[3], 3, 1, 1, bias=False),
        nn.BatchNorm2d(c[3]),
        relu(True),
        nn.MaxPool2d((2, 1), (2, 1)),
        nn.Conv2d(c[3], c[3], 2, 1, 0),
        relu(True),
    )


class _BiLSTMProject(nn.Module):
    """One BiLSTM followed by a linear projection (EasyOCR's BidirectionalLSTM)."""

    def __init__(self, d_in: int, hidden: int, d_out: int):
        super().__init__()
        self.rnn = nn.LSTM(d_in, hidden, bidirectional=True, batch_first=True)
        self.linear = nn.Linear(2 * hidden, d_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.rnn(x)[0])


def build_crnn_g2(config: CRNNG2Config, charset: Charset) -> CTCRecognizer:
    backbone = _g2_backbone(config.input.channels, config.output_channel)
    sequence = nn.Sequential(
        _BiLSTMProject(config.output_channel, config.hidden, config.hidden),
        _BiLSTMProject(config.hidden, config.hidden, config.hidden),
    )
    return CTCRecognizer(config, charset, backbone, sequence, config.hidden)


_TINY_CHANNELS = (16, 32, 64, 64, 96, 96, 96)

DEFAULT_CFGS: dict[str, dict[str, CRNNConfig | CRNNG2Config]] = {
    "crnn": {"full": CRNNConfig(), "tiny": CRNNConfig(channels=_TINY_CHANNELS, hidden=64)},
    # half width for CPUs: convs 32..256, 2 BiLSTM(128)
    "crnn_small": {
        "full": CRNNConfig(channels=(32, 64, 128, 128, 256, 256, 256), hidden=128),
        "tiny": CRNNConfig(channels=_TINY_CHANNELS, hidden=64),
    },
    "crnn_g2": {
        "full": CRNNG2Config(),
        "tiny": CRNNG2Config(
            input=RecInput(32, 128, 1, (0.5,), (0.5,), keep_ratio=True),
            output_channel=64,
            hidden=64,
        ),
    },
}
