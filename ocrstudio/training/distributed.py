"""DistributedDataParallel under `torchrun`: the process group comes from the environment
torchrun sets (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR/PORT); gloo on CPUs, NCCL on
GPUs. A plain `python` run is a world of one and touches nothing."""

from __future__ import annotations

import atexit
import contextlib
import os
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1


def init_world(device_type: str) -> World:
    """Join the process group torchrun describes (once); a world of one otherwise."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1:
        return World()
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if not dist.is_initialized():
        backend = "nccl" if device_type == "cuda" else "gloo"
        if device_type == "cuda":
            torch.cuda.set_device(local)
        dist.init_process_group(backend=backend)
        # fit leaves the world itself; this is for a run that raised before it could
        atexit.register(leave_world)
    return World(rank, size, local)


def leave_world() -> None:
    """Tear the process group down while the interpreter is whole: a group (or a DDP
    reducer holding it) left to the interpreter's teardown aborts now and then ("terminate
    called without an active exception"), failing a run whose weights were saved. One
    `fit` per torchrun process, then: the group is not joined again."""
    if dist.is_initialized():
        # leave together: a rank tearing its group down after the other rank has gone
        # still aborted under load; a crashed peer is waited for 30 s at most
        with contextlib.suppress(RuntimeError):
            dist.barrier(async_op=True).wait(timeout=timedelta(seconds=30))
        dist.destroy_process_group()


def barrier(world: World) -> None:
    if world.distributed:
        dist.barrier()


def broadcast_flag(world: World, flag: bool) -> bool:
    """Rank 0's decision (stop early, cancelled) for every rank."""
    if not world.distributed:
        return flag
    t = torch.tensor([1 if flag else 0], dtype=torch.int64)
    if dist.get_backend() == "nccl":
        t = t.cuda()
    dist.broadcast(t, src=0)
    return bool(t.item())
