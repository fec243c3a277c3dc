"""DDP under torchrun: two gloo processes on the CPU reach the weights one process does
with the same global batch.

What DDP guarantees is the gradient: the all-reduced mean of the two half-batch gradients
equals the global-batch gradient up to the order of float summation. So the optimiser is
plain SGD, whose update is linear in the gradient, and the test compares each tensor's
update against its size; Adam would divide the rounding noise of near-zero gradients by
their near-zero second moments and turn it into differences of the order of lr."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import torch
from safetensors.torch import load_file

from ocrstudio.engine.checkpoint import load_checkpoint

WORKER = textwrap.dedent("""
    import os
    import sys
    from dataclasses import replace

    import torch
    from safetensors.torch import save_file

    from ocrstudio.core.charset import Charset
    from ocrstudio.engine.zoo import get_spec, new_card
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
    if "RANK" not in os.environ:  # the single process keeps the starting weights
        save_file(model.state_dict(), sys.argv[1] + ".start.safetensors")
    task = RecTask(cfg.input, model.charset, augment=True)
    data = MixedDataset([MemorySource(words)], seed=0, transform=task.transform)
    sgd = FitConfig(epochs=2, batch_size=8, device="cpu", optimizer="sgd", lr=0.05,
                    momentum=0.9, weight_decay=0.0, schedule="constant")
    fit(model, task, data, val=None, config=sgd, out=sys.argv[1],
        card=new_card(spec, model))
""")


def _env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
    }
    env["OMP_NUM_THREADS"] = "1"
    return env


@pytest.mark.slow
def test_two_gloo_processes_agree_with_one(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    one, two = tmp_path / "one", tmp_path / "two"
    subprocess.run([sys.executable, str(script), str(one)], check=True, env=_env(), timeout=300)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node",
            "2",
            str(script),
            str(two),
        ],
        check=True,
        env=_env(),
        timeout=300,
    )
    a, card_a = load_checkpoint(one)
    b, card_b = load_checkpoint(two)
    assert card_a.training is not None and card_b.training is not None
    assert card_a.training["step"] == card_b.training["step"] == 4
    start = load_file(f"{one}.start.safetensors")
    moved = 0
    for k in a:
        if not a[k].is_floating_point():
            assert torch.equal(a[k], b[k]), k
            continue
        update = (a[k] - start[k]).norm()
        # float summation order: ~1e-7 relative; a wrong all-reduce is off by O(1)
        assert (a[k] - b[k]).norm() <= 1e-4 * update + 1e-7, k
        moved += bool(update > 0)
    assert moved >= len(a) // 2
