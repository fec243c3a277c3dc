"""Synthetic text: MJSynth-like word crops and SynthText-like scenes, deterministic per
(seed, index), drawn with registry-installed open fonts on procedural surfaces."""

from ocrstudio.training.synth.common import FontPool, Geometry
from ocrstudio.training.synth.fonts import discover_fonts, families
from ocrstudio.training.synth.scenes import SceneSample, SceneSynth, SceneSynthConfig
from ocrstudio.training.synth.vocab import DEFAULT_ALPHABET, english_words, random_text
from ocrstudio.training.synth.words import WordSample, WordSynth, WordSynthConfig

__all__ = [
    "DEFAULT_ALPHABET",
    "FontPool",
    "Geometry",
    "SceneSample",
    "SceneSynth",
    "SceneSynthConfig",
    "WordSample",
    "WordSynth",
    "WordSynthConfig",
    "discover_fonts",
    "english_words",
    "families",
    "random_text",
]
