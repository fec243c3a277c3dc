"""`rec_conclr`: ABINet's attention decoder on `rec_default`'s frozen trunk, trained with
ConCLR on precomputed trunk features (`recipes/conclr_features.py`), on this CPU.

    python -m recipes conclr-features --out runs/conclr/feats       # trunk features
    python -m recipes conclr-train --feats runs/conclr/feats --out runs/conclr/train \\
        --steps 6000                                                 # resumes from last.pt
    python -m recipes conclr-export runs/conclr/train --out runs/conclr/model [--average N]

The neck (rec_default's light SVTR, at a tenth of the decoder's rate) and the decoder
train; stem and stages stay as rec_default has them. The training state (weights,
optimiser, step, random generators) is saved every `save_every` steps to `last.pt`
(tensors only, read back with `weights_only`), and a snapshot every `snapshot_every` steps
for averaging.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REC_DEFAULT = Path("resources/models/rec_default")


@dataclass(frozen=True)
class TrainSettings:
    steps: int = 6000
    batch_size: int = 48
    lr: float = 5e-4
    neck_lr_scale: float = 0.1
    warmup: int = 200
    final_lr_scale: float = 0.05
    weight_decay: float = 1e-4
    save_every: int = 100
    snapshot_every: int = 250
    eval_every: int = 500
    reload_every: int = 250
    seed: int = 0


class FeatureSet:
    """Every shard `PREFIX*.npz` of a feature folder held in memory (fp16), re-read when
    new shards appear (the extraction may still run)."""

    def __init__(self, folder: Path, prefix: str):
        self.folder, self.prefix = folder, prefix
        self.loaded: set[str] = set()
        self.feats: list[np.ndarray] = []
        self.valid: list[int] = []
        self.texts: list[str] = []
        self.refresh()

    def refresh(self) -> int:
        new = 0
        for path in sorted(self.folder.glob(f"{self.prefix}*.npz")):
            if path.name in self.loaded or path.name.endswith(".tmp.npz"):
                continue
            with np.load(path) as z:
                flat, lengths = z["feats"], z["lengths"]
                texts = json.loads(str(z["texts"]))
                starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
                self.feats += [flat[s : s + n] for s, n in zip(starts, lengths, strict=True)]
                self.valid += [int(v) for v in z["valid"]]
                self.texts += texts
            self.loaded.add(path.name)
            new += len(texts)
        return new

    def __len__(self) -> int:
        return len(self.texts)

    def batch(self, idx: Any, pad: Any, min_len: int) -> tuple[Any, Any, list[str]]:
        import torch

        from ocrstudio.engine.recognition.lcnet_attn import pad_to

        seqs = [torch.from_numpy(self.feats[i].astype(np.float32)).T for i in idx]
        return (
            pad_to(seqs, pad, min_len),
            torch.tensor([self.valid[i] for i in idx]),
            [self.texts[i] for i in idx],
        )


def init_model(rec_default: Path, pad: np.ndarray, config: str = "full") -> Any:
    """rec_conclr before training: rec_default's trunk and neck, a new decoder."""
    import torch

    from ocrstudio.core.charset import Charset
    from ocrstudio.engine.checkpoint import load_checkpoint
    from ocrstudio.engine.zoo import get_spec

    spec = get_spec("lcnet_abinet_conclr")
    model: Any = spec.build(spec.config(config), Charset.default())
    state, _ = load_checkpoint(rec_default)
    trunk = {k: v.float() for k, v in state.items() if k.startswith("backbone.")}
    missing = set(k for k in model.state_dict() if k.startswith("backbone.")) - set(trunk)
    if missing:
        raise ValueError(f"rec_default lacks {sorted(missing)[:3]}")
    model.load_state_dict(trunk, strict=False)
    model.pad_column.copy_(torch.from_numpy(pad))
    return model


def _optimizer(model: Any, s: TrainSettings) -> Any:
    import torch

    neck = [p for n, p in model.named_parameters() if n.startswith("backbone.neck.")]
    rest = [
        p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("backbone.")
    ]
    return torch.optim.AdamW(
        [{"params": rest, "lr": s.lr}, {"params": neck, "lr": s.lr * s.neck_lr_scale}],
        lr=s.lr,
        weight_decay=s.weight_decay,
    )


def lr_scale(step: int, s: TrainSettings) -> float:
    """Linear warm-up, then cosine from 1 to `final_lr_scale`."""
    if step < s.warmup:
        return (step + 1) / s.warmup
    t = min(1.0, (step - s.warmup) / max(1, s.steps - s.warmup))
    return s.final_lr_scale + (1 - s.final_lr_scale) * 0.5 * (1 + math.cos(math.pi * t))


def evaluate(model: Any, data: FeatureSet, batch: int = 64) -> dict[str, float]:
    """36-character word accuracy of the model on a feature set (model's own reading)."""
    import torch

    from ocrstudio.core.metrics import normalize_36

    model.eval()
    right = 0
    order = sorted(range(len(data)), key=lambda i: len(data.feats[i]))
    with torch.inference_mode():
        for s in range(0, len(order), batch):
            idx = order[s : s + batch]
            feats, _, texts = data.batch(idx, model.pad_column, 40)
            reads = model.read_features(feats)
            right += sum(
                normalize_36(r.text) == normalize_36(t) for r, t in zip(reads, texts, strict=True)
            )
    model.train()
    return {"word_acc": right / max(1, len(data)), "count": len(data)}


def _save(out: Path, model: Any, opt: Any, step: int, gen: Any) -> None:
    import torch

    tmp = out / "last.tmp.pt"
    torch.save(
        {
            "model": model.state_dict(),
            "opt": opt.state_dict(),
            "step": torch.tensor(step),
            "gen": gen.get_state(),
        },
        tmp,
    )
    tmp.replace(out / "last.pt")


def train(
    feats: Path,
    out: Path,
    s: TrainSettings,
    rec_default: Path = REC_DEFAULT,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Train (or resume from `out/last.pt`) to `s.steps`."""
    import torch

    out.mkdir(parents=True, exist_ok=True)
    (out / "settings.json").write_text(json.dumps(s.__dict__, indent=1))
    model = init_model(rec_default, np.load(feats / "pad.npy"))
    opt = _optimizer(model, s)
    gen = torch.Generator().manual_seed(s.seed)
    step = 0
    if (out / "last.pt").exists():
        ck = torch.load(out / "last.pt", weights_only=True)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, _ = int(ck["step"]), gen.set_state(ck["gen"])
        log(f"resumed at step {step}")
    data, val = FeatureSet(feats, "train_"), FeatureSet(feats, "val_")
    min_len = model.config.input.min_width // 8
    model.train()
    t0, seen = time.time(), dict[str, float]()
    while step < s.steps:
        if step % s.reload_every == 0 and (new := data.refresh()):
            log(f"step {step}: {new} new crops, {len(data)} in all")
        for g, base in zip(opt.param_groups, (s.lr, s.lr * s.neck_lr_scale), strict=True):
            g["lr"] = base * lr_scale(step, s)
        idx = torch.randint(len(data), (s.batch_size,), generator=gen).tolist()
        f, valid, texts = data.batch(idx, model.pad_column, min_len)
        losses = model.feature_loss(f, valid, texts, generator=gen)
        opt.zero_grad(set_to_none=True)
        losses["loss"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        step += 1
        for k, v in losses.items():
            x = float(v.detach())
            seen[k] = 0.98 * seen.get(k, x) + 0.02 * x
        if step % 25 == 0:
            log(
                f"step {step} {time.time() - t0:.0f}s lr {opt.param_groups[0]['lr']:.2e} "
                + " ".join(f"{k} {v:.3f}" for k, v in seen.items())
            )
        if step % s.save_every == 0 or step == s.steps:
            _save(out, model, opt, step, gen)
        if step % s.snapshot_every == 0:
            torch.save(model.state_dict(), out / f"snap_{step:06d}.pt")
        if step % s.eval_every == 0 or step == s.steps:
            log(f"step {step} val {json.dumps(evaluate(model, val))}")
    return {"steps": step, "seconds": time.time() - t0}


def averaged_state(run: Path, last: int) -> dict[str, Any]:
    """The mean of the run's last `last` snapshots (all of `last.pt` when 0)."""
    import torch

    if last <= 0:
        return dict(torch.load(run / "last.pt", weights_only=True)["model"])
    snaps = sorted(run.glob("snap_*.pt"))[-last:]
    states = [torch.load(p, weights_only=True) for p in snaps]
    return {
        k: (sum(st[k].float() for st in states) / len(states)).to(v.dtype)
        if v.is_floating_point()
        else v
        for k, v in states[-1].items()
    }


def export(run: Path, out: Path, average: int = 0, rec_default: Path = REC_DEFAULT) -> Path:
    """The run's weights (the last or the mean of the last snapshots) as an ocrstudio
    checkpoint (fp32, card from the zoo; `recipes ship` adds the model card)."""
    from ocrstudio.engine.checkpoint import save_checkpoint
    from ocrstudio.engine.zoo import get_spec, new_card

    model = init_model(rec_default, np.zeros(384, np.float32))
    model.load_state_dict(averaged_state(run, average))
    card = new_card(get_spec("lcnet_abinet_conclr"), model, name="rec_conclr")
    return save_checkpoint(out, model.state_dict(), card)


def add_parsers(sub: Any) -> None:
    """The `python -m recipes conclr-*` verbs (see the module docstring)."""
    f = sub.add_parser(
        "conclr-features",
        help="rec_default's trunk features of the training and validation crops, for conclr-train",
    )
    f.add_argument("--data", default="runs/data", help="the split folders (recipes splits)")
    f.add_argument("--out", required=True)
    f.add_argument("--synth", type=int, default=20_000, help="synthetic words in all")
    f.add_argument("--rounds", type=int, default=3, help="augmented copies of real crops")
    f.set_defaults(run=lambda a: _features(a))
    t = sub.add_parser(
        "conclr-train", help="train rec_conclr's decoder on the features (resumes from OUT/last.pt)"
    )
    t.add_argument("--feats", required=True)
    t.add_argument("--out", required=True)
    for name in ("steps", "batch_size", "warmup", "seed"):
        t.add_argument(
            f"--{name.replace('_', '-')}", type=int, default=getattr(TrainSettings(), name)
        )
    t.add_argument("--lr", type=float, default=TrainSettings().lr)
    t.set_defaults(
        run=lambda a: train(
            Path(a.feats),
            Path(a.out),
            TrainSettings(
                steps=a.steps, batch_size=a.batch_size, warmup=a.warmup, seed=a.seed, lr=a.lr
            ),
            log=lambda m: print(m, flush=True),
        )
    )
    e = sub.add_parser("conclr-export", help="a conclr-train run as an ocrstudio checkpoint")
    e.add_argument("run_dir", metavar="RUN", help="the conclr-train --out folder")
    e.add_argument("--out", required=True)
    e.add_argument("--average", type=int, default=0, help="mean of the last N snapshots")
    e.set_defaults(run=lambda a: {"weights": str(export(Path(a.run_dir), Path(a.out), a.average))})


def _features(a: Any) -> dict[str, int]:
    from recipes.conclr_features import extract_all

    return extract_all(REC_DEFAULT, Path(a.data), Path(a.out), a.synth, a.rounds)
