"""What the stress scripts share: generated photos with ICDAR 2015 labels, the command
line as a subprocess, and the checks that a project is whole."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "ocrstudio"]


def photos(folder: Path, n: int, start: int = 0) -> tuple[Path, Path]:
    """`n` small distinct photos under folder/images and their labels under folder/gt."""
    imgs, gt = folder / "images", folder / "gt"
    imgs.mkdir(parents=True, exist_ok=True)
    gt.mkdir(parents=True, exist_ok=True)
    for k in range(start, start + n):
        rng = np.random.default_rng(k)
        Image.fromarray(rng.integers(0, 255, (24, 32, 3), dtype=np.uint8)).save(
            imgs / f"img_{k}.png"
        )
        (gt / f"gt_img_{k}.txt").write_text(f"1,1,20,1,20,10,1,10,word{k}\n")
    return imgs, gt


def cli(*args: str, **kw) -> subprocess.Popen:  # type: ignore[no-untyped-def]
    return subprocess.Popen(
        [*CLI, *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw
    )


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def counts(db: Path) -> tuple[int, int]:
    """(images, regions) of a project database."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return (
            conn.execute("SELECT count(*) FROM image").fetchone()[0],
            conn.execute("SELECT count(*) FROM region").fetchone()[0],
        )
    finally:
        conn.close()


def hidden(folder: Path) -> list[str]:
    """Scratch or private files left in a folder (names starting with a dot)."""
    return (
        sorted(p.name for p in folder.iterdir() if p.name.startswith("."))
        if folder.is_dir()
        else []
    )


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}
