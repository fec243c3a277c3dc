"""`fit`: the training loop every architecture shares.

AdamW + one-cycle by default (or the papers' optimisers and schedules, config.py),
gradient clipping, bf16 autocast on CUDA, an evaluation and a checkpoint each epoch, the
best model by the validation metric as `out/model.safetensors` + `out/model.json`, resume
from `out/checkpoints/last*`, early stopping, a progress callback, a cancel token checked
before every batch, seeded determinism, DataLoader workers and DDP under torchrun.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler

from ocrstudio.core.cancel import CancelToken, check_cancel
from ocrstudio.core.errors import InputError, OcrStudioError
from ocrstudio.engine.card import ModelCard
from ocrstudio.engine.checkpoint import load_checkpoint, save_checkpoint
from ocrstudio.engine.device import pick_device
from ocrstudio.training.callbacks import Phase, Progress, ProgressCallback
from ocrstudio.training.config import FitConfig
from ocrstudio.training.data import MixedDataset
from ocrstudio.training.distributed import barrier, broadcast_flag, init_world, leave_world
from ocrstudio.training.state import load_state, save_state

log = logging.getLogger(__name__)
# (the network, as the loop runs it; images; targets) -> loss parts, "loss" among them
LossFn = Callable[[nn.Module, torch.Tensor, Any], dict[str, torch.Tensor]]
CHECKPOINTS = "checkpoints"
TIMED_STEPS = 4  # steps timed before a time budget sets the schedule's length
EVAL_RESERVE = 0.85  # of a time budget given to steps; the rest pays for evaluations


@dataclass(frozen=True)
class FitResult:
    out: Path
    metric: str
    best: float | None  # best validation metric (None: no validation)
    metrics: dict[str, float]  # the best model's validation metrics
    history: list[dict[str, Any]] = field(default_factory=list)  # one entry per epoch
    steps: int = 0
    epochs: int = 0
    seconds: float = 0.0
    stopped_early: bool = False


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def lr_factor(config: FitConfig, step: int, total: int) -> float:
    """Multiplier of config.lr at `step` of `total` (a plain function: resumable)."""
    t = min(1.0, step / max(1, total))
    if config.schedule == "constant":
        return 1.0
    if config.schedule == "poly":
        return (1.0 - t) ** config.poly_power
    if config.schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * t))
    # one-cycle: cosine rise from lr/25 over `warmup`, cosine fall to lr/1e4 (1cycle's
    # default div factors)
    w = max(config.warmup, 1e-6)
    if t < w:
        return 1 / 25 + (1 - 1 / 25) * 0.5 * (1 - math.cos(math.pi * t / w))
    u = (t - w) / max(1e-6, 1 - w)
    return 1e-4 + (1 - 1e-4) * 0.5 * (1 + math.cos(math.pi * u))


def make_optimizer(model: nn.Module, config: FitConfig) -> torch.optim.Optimizer:
    """Weight decay on weights only (not on biases and norm scales)."""
    decay: list[nn.Parameter] = []
    no_decay: list[nn.Parameter] = []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.ndim > 1 else no_decay).append(p)
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    if config.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=config.lr, momentum=config.momentum)
    if config.optimizer == "adadelta":
        return torch.optim.Adadelta(groups, lr=config.lr, rho=0.9)
    if config.optimizer == "adam":
        return torch.optim.Adam(groups, lr=config.lr)
    return torch.optim.AdamW(groups, lr=config.lr)


def fit(
    model: nn.Module,
    task: Any,
    train: MixedDataset,
    *,
    val: Sequence[Any] | None,
    config: FitConfig,
    out: str | Path,
    card: ModelCard,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    resume: bool = False,
    loss: LossFn | None = None,
) -> FitResult:
    """Train `model` on `train`, scoring on `val` each epoch; see the module docstring.

    `task` is a `tasks.RecTask` / `tasks.DetTask`; `card` is the checkpoints' model card
    (architecture, role, config, charset, normalization, lineage, ...); `loss` computes
    the training loss in place of the model's own (`training.finetune.KeepsBase`). Raises
    CancelledError when `cancel` is set (checkpoints of finished epochs stay).
    """
    trainer = _Trainer(model, task, train, val, config, Path(out), card, progress, cancel)
    trainer.loss = loss
    try:
        return trainer.run(resume)
    finally:
        if trainer.world.distributed:
            # the DDP reducer holds the process group: it must go before the group does,
            # while the interpreter is whole (see distributed.leave_world)
            trainer.net = trainer.model
            del trainer
            gc.collect()
            leave_world()


class _Trainer:
    def __init__(
        self,
        model: nn.Module,
        task: Any,
        train: MixedDataset,
        val: Sequence[Any] | None,
        config: FitConfig,
        out: Path,
        card: ModelCard,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
    ):
        self.world = init_world(
            "cuda" if config.device != "cpu" and torch.cuda.is_available() else "cpu"
        )
        self.device = pick_device(
            config.device, self.world.local_rank if self.world.distributed else None
        )
        if config.batch_size % self.world.size:
            raise OcrStudioError(
                f"batch size {config.batch_size} does not split over {self.world.size} processes"
            )
        seed_everything(config.seed)
        self.model = model.to(self.device).train()
        self.net: nn.Module = self.model
        self.loss: LossFn | None = None
        if self.world.distributed:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.net = nn.parallel.DistributedDataParallel(self.model, device_ids=ids)
        self.task, self.train, self.val, self.config = task, train, val, config
        self.out, self.card, self.progress, self.cancel = out, card, progress, cancel
        self.loader, self.sampler = self._loader()
        self.per_epoch = len(self.loader)
        if self.per_epoch == 0 and len(train) >= self.world.size:
            # a few photos (a first fine-tune) and a recipe's batch: the batch shrinks
            fits = len(train) // self.world.size * self.world.size
            log.warning(
                "batch size %d is more than the %d training samples: using %d",
                config.batch_size,
                len(train),
                fits,
            )
            self.config = config = dataclasses.replace(config, batch_size=fits)
            self.loader, self.sampler = self._loader()
            self.per_epoch = len(self.loader)
        if self.per_epoch == 0:
            raise OcrStudioError(
                f"{len(train)} training samples make no full batch of {config.batch_size}"
            )
        self.total = config.steps or config.epochs * self.per_epoch
        self.epochs = math.ceil(self.total / self.per_epoch)
        self.optimizer = make_optimizer(self.model, config)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda s: lr_factor(config, s, self.total)
        )
        self.step, self.start_epoch, self.bad_evals = 0, 0, 0
        self._t1 = 0.0  # when the first step ended (a time budget's clock for steps)
        self.best: float | None = None
        self.best_metrics: dict[str, float] = {}
        self.history: list[dict[str, Any]] = []
        self.amp = config.amp and self.device.type == "cuda"

    def _loader(self) -> tuple[DataLoader[Any], DistributedSampler[Any]]:
        """Batches of this process's share of the data, and the sampler that shares it."""
        c = self.config
        sampler: DistributedSampler[Any] = DistributedSampler(
            self.train,
            num_replicas=self.world.size,
            rank=self.world.rank,
            shuffle=True,
            seed=c.seed,
            drop_last=True,
        )
        loader = DataLoader(
            self.train,
            batch_size=c.batch_size // self.world.size,
            sampler=sampler,
            num_workers=c.workers,
            collate_fn=self.task.collate,
            drop_last=True,
            pin_memory=self.device.type == "cuda",
            generator=torch.Generator().manual_seed(c.seed),
        )
        return loader, sampler

    # -- the loop ----------------------------------------------------------------------
    def run(self, resume: bool) -> FitResult:
        if resume:
            self._resume()
        t0 = time.perf_counter()
        stopped = False
        for epoch in range(self.start_epoch, self.epochs):
            self._train_epoch(epoch, t0)
            stopped = self._end_epoch(epoch)
            if stopped or self.step >= self.total:
                break
        barrier(self.world)
        seconds = time.perf_counter() - t0
        self._report("done", self.epochs - 1, {}, 0.0, t0)
        return FitResult(
            self.out,
            self.task.metric,
            self.best,
            self.best_metrics,
            self.history,
            self.step,
            len(self.history),
            seconds,
            stopped,
        )

    def _train_epoch(self, epoch: int, t0: float) -> None:
        self.sampler.set_epoch(epoch)
        self.train.set_epoch(epoch)
        sums: dict[str, float] = {}
        n, t_last = 0, time.perf_counter()
        self.epoch_loss: list[float] = []
        for images, targets in self.loader:
            self._check_cancel()
            parts = self._step(images, targets)
            for k, v in parts.items():
                sums[k] = sums.get(k, 0.0) + v
            n += 1
            self._fit_to_time(t0)
            self.epoch_loss.append(parts["loss"])
            if n % self.config.log_every == 0 or self.step >= self.total:
                rate = n * self.config.batch_size / max(1e-9, time.perf_counter() - t_last)
                self._report("train", epoch, {k: v / n for k, v in sums.items()}, rate, t0)
                sums, n, t_last = {}, 0, time.perf_counter()
            if self.step >= self.total:
                break

    def _step(self, images: torch.Tensor, targets: Any) -> dict[str, float]:
        images = images.to(self.device, non_blocking=True)
        targets = self.task.to_device(targets, self.device)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.amp):
            out = (
                self.net(images, targets)
                if self.loss is None
                else self.loss(self.net, images, targets)
            )
        loss = out["loss"]
        if not torch.isfinite(loss):
            raise OcrStudioError(
                f"the loss became {loss.item()} at step {self.step}; try a lower learning rate"
            )
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.grad_clip:
            nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.optimizer.step()
        self.scheduler.step()
        self.step += 1
        # every scalar the model returns is a loss part ("loss" itself among them)
        return {
            k: float(v.detach().float())
            for k, v in out.items()
            if isinstance(v, torch.Tensor) and v.numel() == 1
        }

    def _fit_to_time(self, t0: float) -> None:
        """A time budget: after TIMED_STEPS steps (the first one's warm-up left out) the
        schedule's length becomes what the rest of the budget holds; once the budget is
        spent the run ends at this step."""
        budget = self.config.max_seconds
        if budget is None:
            return
        now = time.perf_counter()
        if self.step == 1:
            self._t1 = now
        elif self.step == TIMED_STEPS + 1 and self.config.steps is None:
            per_step = (now - self._t1) / TIMED_STEPS
            fits = self.step + int((budget * EVAL_RESERVE - (now - t0)) / max(per_step, 1e-6))
            self.total = max(self.step, min(self.total, fits))
            self.epochs = math.ceil(self.total / self.per_epoch)
            log.info("time budget %.0f s: %d steps of %.2f s", budget, self.total, per_step)
        if now - t0 >= budget:
            self.total = self.step

    def _check_cancel(self) -> None:
        check_cancel(self.cancel, f"training cancelled at step {self.step}")

    # -- epoch ends: evaluate, checkpoint, early stopping ------------------------------------
    def _end_epoch(self, epoch: int) -> bool:
        c = self.config
        last = epoch == self.epochs - 1 or self.step >= self.total
        metrics: dict[str, float] = {}
        if self.world.main and self.val and ((epoch + 1) % c.eval_every == 0 or last):
            self._check_cancel()
            metrics = self._evaluate(self.val)
        entry = {
            "epoch": epoch + 1,
            "step": self.step,
            "train_loss": float(np.mean(self.epoch_loss)) if self.epoch_loss else None,
            **{f"val_{k}": v for k, v in metrics.items()},
        }
        self.history.append(entry)
        stop = False
        if self.world.main:
            improved = self._update_best(metrics)
            self._save(epoch, metrics, improved)
            stop = c.patience is not None and self.bad_evals >= c.patience
        stop = broadcast_flag(self.world, stop)
        barrier(self.world)
        return stop

    def _evaluate(self, val: Sequence[Any]) -> dict[str, float]:
        n = len(val) if self.config.eval_size is None else min(len(val), self.config.eval_size)
        view = _Head(val, n)
        metrics = self.task.evaluate(self.model, view, self.device)
        self.model.train()
        self._report("eval", len(self.history), {}, 0.0, None, metrics)
        return metrics

    def _update_best(self, metrics: dict[str, float]) -> bool:
        if not metrics:  # no validation: the latest model is the one to keep
            return True
        value = float(metrics[self.task.metric])
        if self.best is None or value > self.best:
            self.best, self.best_metrics, self.bad_evals = value, dict(metrics), 0
            return True
        self.bad_evals += 1
        return False

    def _checkpoint_card(self, metrics: dict[str, float], epoch: int) -> ModelCard:
        return self.card.with_(
            metrics=metrics,
            training={
                "fit": dataclasses.asdict(self.config),
                "epoch": epoch + 1,
                "step": self.step,
                "history": self.history,
            },
        )

    def _save(self, epoch: int, metrics: dict[str, float], improved: bool) -> None:
        state = self.model.state_dict()
        ckpt = self.out / CHECKPOINTS
        card = self._checkpoint_card(metrics, epoch)
        save_checkpoint(ckpt / f"epoch_{epoch + 1:03d}.safetensors", state, card)
        save_checkpoint(ckpt / "last.safetensors", state, card)
        save_state(
            ckpt / "last_state",
            {
                "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(),
                "step": self.step,
                "epoch": epoch + 1,
                "best": self.best,
                "best_metrics": self.best_metrics,
                "bad_evals": self.bad_evals,
                "history": self.history,
                "torch_rng": torch.get_rng_state(),
            },
        )
        if improved:
            save_checkpoint(self.out, state, card)

    def _resume(self) -> None:
        ckpt = self.out / CHECKPOINTS
        if not (ckpt / "last_state.json").is_file():
            log.info("nothing to resume in %s: starting afresh", ckpt)
            return
        weights, _ = load_checkpoint(ckpt / "last.safetensors", device=self.device)
        try:
            self.model.load_state_dict(weights)
        except RuntimeError as exc:
            raise InputError(
                f"these weights are not this model's: {' '.join(str(exc).split())[:200]}",
                ckpt / "last.safetensors",
            ) from None
        st = load_state(ckpt / "last_state")
        try:  # a state from another run or hand-edited: one line, nothing half-restored
            self._restore(st)
        except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as exc:
            why = " ".join(str(exc).split())[:200] or type(exc).__name__
            raise InputError(f"damaged training state: {why}", ckpt / "last_state.json") from None
        log.info("resumed from epoch %d, step %d", self.start_epoch, self.step)

    def _restore(self, st: dict[str, Any]) -> None:
        counters = (int(st["step"]), int(st["epoch"]), int(st["bad_evals"]))
        best, best_metrics, history = st["best"], dict(st["best_metrics"]), list(st["history"])
        if not (isinstance(best, int | float) or best is None) or counters[0] < 0:
            raise ValueError("bad counters")
        rng = st["torch_rng"]
        if not isinstance(rng, torch.Tensor) or rng.dtype != torch.uint8:
            raise ValueError("the RNG state is not a byte tensor")
        _check_optimizer_state(self.optimizer, st["optimizer"])
        self.optimizer.load_state_dict(st["optimizer"])
        self.scheduler.load_state_dict(st["scheduler"])
        torch.set_rng_state(rng)
        self.step, self.start_epoch, self.bad_evals = counters
        self.best, self.best_metrics, self.history = best, best_metrics, history

    def _report(
        self,
        phase: Phase,
        epoch: int,
        parts: dict[str, float],
        rate: float,
        t0: float | None,
        val: dict[str, float] | None = None,
    ) -> None:
        if self.progress is None or not self.world.main:
            return
        eta = None
        if t0 is not None and self.step:
            eta = (time.perf_counter() - t0) / self.step * (self.total - self.step)
        val = (
            val
            if val is not None
            else (
                {k[4:]: v for k, v in self.history[-1].items() if k.startswith("val_")}
                if self.history
                else None
            )
        )
        self.progress(
            Progress(
                phase=phase,
                step=self.step,
                total_steps=self.total,
                epoch=epoch + 1,
                epochs=self.epochs,
                loss=parts.get("loss", float("nan")),
                parts={k: v for k, v in parts.items() if k != "loss"},
                lr=self.optimizer.param_groups[0]["lr"],
                samples_per_s=rate,
                eta_s=eta if phase != "done" else 0.0,
                val=val or None,
                best=self.best,
            )
        )


def _check_optimizer_state(optimizer: torch.optim.Optimizer, saved: dict[str, Any]) -> None:
    """torch accepts moment tensors of any shape and fails only at the next step, deep in
    the update: compare them with the parameters first."""
    params = [p for g in optimizer.param_groups for p in g["params"]]
    for index, slots in dict(saved["state"]).items():
        if not 0 <= int(index) < len(params):
            raise ValueError(f"optimizer state for parameter {index}, which does not exist")
        for name, value in dict(slots).items():
            if (
                isinstance(value, torch.Tensor)
                and value.dim() > 0
                and value.shape != params[int(index)].shape
            ):
                raise ValueError(
                    f"optimizer {name} of parameter {index} has shape "
                    f"{tuple(value.shape)}, the parameter "
                    f"{tuple(params[int(index)].shape)}"
                )


class _Head:
    """The first n samples of a sequence, without copying it."""

    def __init__(self, seq: Sequence[Any], n: int):
        self.seq, self.n = seq, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> Any:
        if not 0 <= i < self.n:
            raise IndexError(i)
        return self.seq[i]
