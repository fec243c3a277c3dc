"""`ocrstudio train`: train or fine-tune a detector or recognizer.

Data SPECs: a folder in any supported format (detected), a project folder (its verified
train split; its val split picks the best epoch), or `synth:words` / `synth:scenes`, and
for detectors rendered pages `synth:pages` (or one kind: `synth:receipt`, `synth:form`,
`synth:document`, `synth:screenshot`), all rendered on the fly; `SPEC@W` weights a
source in the mix. With `--out DIR` the best
model ends as DIR/model.safetensors + DIR/model.json with epoch checkpoints in
DIR/checkpoints/; with `--project PROJECT` it is registered there as a model version.
The final metrics are printed as one JSON line on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    from ocrstudio.cli.numbers import count, natural, rate

    p = sub.add_parser(
        "train",
        help="train or fine-tune a model",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--arch", help="architecture (see `ocrstudio models`)")
    p.add_argument("--config", choices=("tiny", "full"), default="full")
    p.add_argument(
        "--base",
        metavar="MODEL",
        help="fine-tune this model: a shipped "
        "model's name, a folder or .safetensors (with --project also a model "
        "version name or id); its card's fine-tuning settings apply (rate, "
        "batch, frozen layers, crops, replayed general data) unless given here",
    )
    p.add_argument(
        "--no-replay",
        action="store_true",
        help="fine-tune on the given data alone, without the general data the base's card mixes in",
    )
    p.add_argument("--data", action="append", default=[], metavar="SPEC")
    length = p.add_mutually_exclusive_group()
    length.add_argument("--epochs", type=count, metavar="N")
    length.add_argument("--steps", type=count, metavar="N")
    p.add_argument(
        "--epoch-size",
        type=count,
        metavar="N",
        help="samples per epoch (default: the labelled data; 5000 words / 500 "
        "scenes when all data is synthetic)",
    )
    p.add_argument("--batch-size", type=count)
    p.add_argument("--lr", type=rate)
    p.add_argument(
        "--recipe",
        choices=("default", "paper"),
        default="default",
        help="default: AdamW + one-cycle; paper: each paper's optimiser/schedule",
    )
    p.add_argument("--workers", type=natural, default=0, help="DataLoader worker processes")
    p.add_argument(
        "--threads",
        type=count,
        help="CPU threads for torch (on a busy CPU, 1 "
        "avoids threads spinning while they wait for each other)",
    )
    p.add_argument("--seed", type=natural, default=0)
    p.add_argument("--patience", type=count, help="early stopping: evaluations without gain")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--resume", action="store_true", help="continue from DIR/checkpoints")
    p.add_argument(
        "--clip-weights",
        metavar="FILE|TAG",
        help="a new TCM/CLIP4STR model's "
        "CLIP weights: a local open_clip/OpenAI checkpoint, or a tag (openai)",
    )
    p.add_argument(
        "--allow-download",
        action="store_true",
        help="let open_clip download "
        "the --clip-weights tag (nothing else ever downloads; model files cannot "
        "turn this on)",
    )
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", metavar="DIR")
    where.add_argument("--project", metavar="PROJECT")
    p.set_defaults(handler=run)


def _explicit(args: argparse.Namespace) -> dict[str, Any]:
    """The FitConfig fields this command line sets; a fine-tune takes the rest from its
    base's card, a new model from FitConfig's defaults (or its paper with --recipe)."""
    from ocrstudio.training.config import FitConfig, paper_recipe

    given = {
        "device": args.device,
        "seed": args.seed,
        "workers": args.workers,
        "patience": args.patience,
        "epoch_size": args.epoch_size,
        "steps": args.steps,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
    }
    out = {k: v for k, v in given.items() if v is not None}
    if args.recipe == "paper":
        paper = paper_recipe(args.arch or _base_arch(args.base), FitConfig())
        out = {
            **{k: getattr(paper, k) for k in ("optimizer", "lr", "schedule", "weight_decay")},
            **out,
        }
    return out


def _base_arch(base: str | None) -> str:
    """The architecture a base checkpoint names (its card only; no weights read)."""
    from ocrstudio.engine.card import read_card, resolve_weights

    if base is None:
        return ""
    weights = resolve_weights(base)
    if not weights.with_suffix(".json").is_file():
        return ""  # a project model-version name: the job reads it later
    return read_card(weights).architecture


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from ocrstudio.cli.progress import ProgressBar
    from ocrstudio.core.errors import InputError

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    explicit = _explicit(args)
    from ocrstudio.training.config import ClipChoice, FitConfig

    clip = ClipChoice(args.clip_weights, args.allow_download)
    bar = ProgressBar(sys.stderr)
    if args.project:
        from pathlib import Path

        from ocrstudio.services.training import TrainJob

        job = TrainJob(
            Path(args.project),
            args.arch,
            args.config,
            args.base,
            explicit,
            tuple(args.data),
            clip=clip,
            replay=not args.no_replay,
        )
        done = job.run(bar)
        bar.close()
        print(
            json.dumps(
                {
                    "project": args.project,
                    "model_version": done.version_name,
                    "version_id": done.version_id,
                    "run_id": done.run_id,
                    "weights": str(done.weights),
                    "metrics": done.metrics,
                }
            )
        )
        return 0
    if not args.data:
        raise InputError("give training data with --data SPEC (or train in a --project)")
    from ocrstudio.services.training import (
        fine_tune_config,
        resolve_base,
        resolve_data_spec,
        with_replay,
    )
    from ocrstudio.training.api import train_model

    sources = [resolve_data_spec(s) for s in args.data]
    base = resolve_base(args.base) if args.base else None
    fit = FitConfig(**explicit) if base is None else fine_tune_config(base, explicit)
    if base is not None and not args.no_replay:
        sources = with_replay(sources, base)
    res = train_model(
        sources,
        args.out,
        arch=args.arch,
        config=args.config,
        base=base,
        fit_config=fit,
        progress=bar,
        resume=args.resume,
        clip=clip,
    )
    bar.close()
    print(
        json.dumps(
            {
                "out": str(res.out),
                "metric": res.metric,
                "best": res.best,
                "metrics": res.metrics,
                "steps": res.steps,
                "epochs": res.epochs,
                "seconds": round(res.seconds, 1),
                "stopped_early": res.stopped_early,
            }
        )
    )
    return 0
