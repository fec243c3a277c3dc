"""Which synthetic stream a detector's `synth:KIND` source draws from: SynthText-like
scenes (`synth:scenes`, and `synth:words` for a detector, as before), or rendered pages
(`synth:pages` mixes the four page kinds; `synth:receipt`, `synth:form`,
`synth:document`, `synth:screenshot` one each). Page kinds are for detectors only: a
recognizer's synthetic words come from `WordSynth`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ocrstudio.training.synth.pages import (
    PAGE_KINDS,
    VAL_SEEDS,
    PageKind,
    PageSynth,
    PageSynthConfig,
)
from ocrstudio.training.synth.scenes import SceneSynth

# synth:KIND -> the page kinds it renders
PAGE_SOURCES: dict[str, tuple[PageKind, ...]] = {
    "pages": PAGE_KINDS,
    **{k: (k,) for k in PAGE_KINDS},
}
SCENE_VAL_OFFSET = 1_000_003  # the scene validation stream's seed offset (as it always was)


def is_page_source(kind: str | None) -> bool:
    return kind in PAGE_SOURCES


def detector_stream(kind: str, seed: int) -> SceneSynth | PageSynth:
    """The training stream of `synth:KIND` for a detector."""
    if kind in PAGE_SOURCES:
        return PageSynth(PageSynthConfig(kinds=PAGE_SOURCES[kind]), seed)
    return SceneSynth(seed=seed)


def detector_val_stream(kinds: Sequence[str], seed: int) -> Any:
    """Validation pages for an all-synthetic detector mix: scenes of their own seed, as
    before, when no page kind is in the mix; else each kind's stream in turn, pages
    drawn from the validation seeds (never the training ones)."""
    streams: list[Any] = []
    for kind in dict.fromkeys(kinds):
        if kind in PAGE_SOURCES:
            cfg = PageSynthConfig(kinds=PAGE_SOURCES[kind], seeds=VAL_SEEDS)
            streams.append(PageSynth(cfg, seed))
    if not streams:
        return SceneSynth(seed=seed + SCENE_VAL_OFFSET)
    if any(k not in PAGE_SOURCES for k in kinds):
        streams.append(SceneSynth(seed=seed + SCENE_VAL_OFFSET))
    return streams[0] if len(streams) == 1 else Interleaved(streams)


class Interleaved:
    """Several endless streams in turn: item i is stream i % n's item i // n."""

    def __init__(self, streams: Sequence[Any]) -> None:
        self.streams = list(streams)

    def __len__(self) -> int:
        return 2**31 - 1

    def __getitem__(self, index: int) -> Any:
        n = len(self.streams)
        return self.streams[index % n][index // n]
