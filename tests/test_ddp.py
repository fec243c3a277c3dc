"""DDP under torchrun: two gloo processes on the CPU reach the weights one process does
with the same global batch."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import torch

from ocrstudio.engine.checkpoint import load_checkpoint

WORKER = textwrap.dedent('''
    import sys
    from dataclasses import replace

    import torch

    from ocrstudio.core.charset import Charset
    from ocrstudio.engine.zoo import get_spec
    from ocrstudio.training.config import FitConfig
    from ocrstudio.training.data import MemorySource, MixedDataset
    from ocrstudio.training.loop import fit
    from ocrstudio.training.synth import WordSynth, WordSynthConfig
    from ocrstudio.training.tasks import RecTask

    torch.set_num_threads(1)
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    synth = WordSynth(WordSynthConfig(alphabet=alphabet, max_len=6, degrade=0.3), seed=3)
    words = [(s.image, s.text) for s in (synth[i] for i in range(16))]
    spec = get_spec("crnn_small")
    # no batch norm: its batch statistics would differ between 4-sample and 8-sample halves
    cfg = replace(spec.config("tiny"), batch_norm_after=())
    torch.manual_seed(0)
    model = spec.build(cfg, Charset(alphabet))
    task = RecTask(cfg.input, model.charset, augment=True)
    data = MixedDataset([MemorySource(words)], seed=0, transform=task.transform)
    fit(model, task, data, None, FitConfig(epochs=2, batch_size=8, device="cpu", lr=3e-3),
        sys.argv[1], {"architecture": "crnn_small", "role": "recognizer", "config": cfg,
                      "charset": model.charset.to_meta()})
''')


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    env["OMP_NUM_THREADS"] = "1"
    return env


@pytest.mark.slow
def test_two_gloo_processes_agree_with_one(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    one, two = tmp_path / "one", tmp_path / "two"
    subprocess.run([sys.executable, str(script), str(one)], check=True, env=_env(),
                   timeout=300)
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                    "--nproc_per_node", "2", str(script), str(two)], check=True, env=_env(),
                   timeout=300)
    a, meta_a = load_checkpoint(one)
    b, meta_b = load_checkpoint(two)
    assert meta_a["training"]["step"] == meta_b["training"]["step"] == 4
    start = load_checkpoint(one / "checkpoints" / "epoch_001.safetensors")[0]
    moved = False
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-5)
        moved |= not torch.equal(a[k], start[k])
    assert moved
