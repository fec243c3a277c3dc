"""argparse types for the numbers a verb takes: a bad value is argparse's one-line usage
error (exit 2) naming the option, never a traceback from deep inside a run."""

from __future__ import annotations

import argparse
import math


def count(text: str) -> int:
    """A whole number >= 1 (a batch, steps, epochs, threads)."""
    return _int(text, 1)


def natural(text: str) -> int:
    """A whole number >= 0 (worker processes, a seed)."""
    return _int(text, 0)


def rate(text: str) -> float:
    """A finite number > 0 (a learning rate, minutes)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, not {text}")
    return value


def _int(text: str, least: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be at least {least}, not {value}")
    return value
