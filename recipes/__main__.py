"""`python -m recipes COMMAND`: the shipped-model recipes from a shell (splits, bases,
train-det, average, ship, tune-verify, eval-rec, eval-det); see `recipes`.
`splits --data` defaults to `default_data()` (found beside the repository)."""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ocrstudio.core.errors import InputError
from recipes import (
    __doc__ as RECIPES_DOC,
)
from recipes import (
    default_data,
    detector_maps,
    evaluate_recognizer,
    score_maps,
    ship_and_score,
    train_detector,
    tune_postprocess,
    write_craft_base,
    write_g2_base,
    write_postprocess_at,
    write_splits,
)


def _cmd_splits(a: argparse.Namespace) -> dict[str, Any]:
    return write_splits(Path(a.data), Path(a.out))


def _cmd_bases(a: argparse.Namespace) -> dict[str, Any]:
    out = Path(a.out)
    return {
        "rec": str(write_g2_base(out / "easyocr_english_g2")),
        "det": str(write_craft_base(out / "craft_vgg16_trunk", train_size=a.det_size)),
    }


def _cmd_eval_rec(a: argparse.Namespace) -> dict[str, Any]:
    return evaluate_recognizer(a.model, Path(a.split), a.device)


def _cmd_eval_det(a: argparse.Namespace) -> dict[str, Any]:
    from ocrstudio.engine.card import read_card
    from ocrstudio.engine.detection.predictor import DetectionPredictor

    if a.write and not (a.tune and a.limit_side):
        raise InputError(
            "--write keeps thresholds tuned (--tune) at another input size "
            "(--limit-side); the card's own are set by `ship --tune`",
            a.model,
        )
    card = read_card(a.model)
    maps = detector_maps(a.model, Path(a.split), a.device, a.limit_side)
    base = DetectionPredictor.postprocess_config(None, card, a.limit_side)
    res: dict[str, Any] = {
        "default": score_maps(maps, base),
        "postprocess": dataclasses.asdict(base),
    }
    if a.tune:
        best, m = tune_postprocess(maps, base)
        res["tuned"], res["tuned_postprocess"] = m, dataclasses.asdict(best)
        if a.write:
            write_postprocess_at(Path(a.model), a.limit_side, best, res, Path(a.split))
    return res


def _cmd_train_det(a: argparse.Namespace) -> dict[str, Any]:
    from ocrstudio.training.config import FitConfig

    cfg = FitConfig(
        epochs=a.epochs,
        steps=a.steps,
        epoch_size=a.epoch_size,
        batch_size=a.batch_size,
        lr=a.lr,
        schedule=a.schedule,
        optimizer=a.optimizer,
        device="cpu",
        seed=a.seed,
        log_every=1,
    )
    res = train_detector(
        Path(a.base), a.split, Path(a.out), cfg, a.freeze, a.resume, a.train_size, a.window
    )
    return {"out": str(res.out), "steps": res.steps, "seconds": round(res.seconds, 1)}


def _cmd_tune_verify(a: argparse.Namespace) -> dict[str, Any]:
    from recipes.verify import tune_and_write

    splits = [Path(s) for s in a.split]
    return tune_and_write(
        Path(a.detector),
        Path(a.recognizer),
        splits[0] if len(splits) == 1 else splits,
        a.write,
        a.device,
        a.limit_side,
    )


def _cmd_detected_split(a: argparse.Namespace) -> dict[str, Any]:
    from recipes.detected import write_detected_split

    return write_detected_split(
        Path(a.detector), Path(a.split), Path(a.out), a.device, a.limit_side, a.box_thresh
    )


def _cmd_average(a: argparse.Namespace) -> dict[str, Any]:
    from recipes.average import average_checkpoints

    return {
        "out": str(average_checkpoints([Path(c) for c in a.checkpoints], Path(a.out))),
        "averaged": len(a.checkpoints),
    }


def _cmd_ship(a: argparse.Namespace) -> dict[str, Any]:
    card = json.loads(Path(a.card).read_text(encoding="utf-8"))
    return ship_and_score(Path(a.checkpoint), Path(a.dest), card, Path(a.split), a.tune)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m recipes",
        description=RECIPES_DOC,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(required=True)
    s = sub.add_parser("splits", help="write the train/validation split folders")
    s.add_argument(
        "--data",
        default=str(default_data()),
        help="the benchmark data folder (default: %(default)s)",
    )
    s.add_argument("--out", required=True)
    s.set_defaults(run=_cmd_splits)
    b = sub.add_parser("bases", help="write english_g2 / CRAFT-trunk starting checkpoints")
    b.add_argument("--out", required=True)
    b.add_argument("--det-size", type=int, default=320, help="detector training crop")
    b.set_defaults(run=_cmd_bases)
    t = sub.add_parser("train-det", help="fine-tune a detector (frozen early stages)")
    t.add_argument("--base", required=True)
    t.add_argument(
        "--split",
        required=True,
        action="append",
        help="training split folder, FOLDER@WEIGHT or synth:KIND@WEIGHT (repeat to mix)",
    )
    t.add_argument("--out", required=True)
    t.add_argument(
        "--freeze",
        type=int,
        default=3,
        help="trunk parts to freeze (CRAFT slices; PP-LCNetV4 stem, stages)",
    )
    t.add_argument("--epochs", type=int, default=40)
    t.add_argument("--steps", type=int, help="optimizer steps in all (wins over --epochs)")
    t.add_argument("--train-size", type=int, help="training crop (default: the model's)")
    t.add_argument("--window", type=int, default=480, help="text window before the crop")
    t.add_argument("--optimizer", default="adamw", choices=("adamw", "adam", "sgd"))
    t.add_argument("--epoch-size", type=int, default=64)
    t.add_argument("--batch-size", type=int, default=4)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--schedule", default="poly", choices=("poly", "onecycle", "cosine", "constant"))
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--resume", action="store_true")
    t.set_defaults(run=_cmd_train_det)
    h = sub.add_parser("ship", help="fp16 copy + model card, scored on validation")
    h.add_argument("checkpoint")
    h.add_argument("dest")
    h.add_argument("--card", required=True, help="JSON with the card fields")
    h.add_argument("--split", required=True, help="validation split folder")
    h.add_argument("--tune", action="store_true", help="detector: tune thresholds")
    h.set_defaults(run=_cmd_ship)
    w = sub.add_parser("average", help="average the weights of a run's checkpoints")
    w.add_argument("checkpoints", nargs="+")
    w.add_argument("--out", required=True)
    w.set_defaults(run=_cmd_average)
    v = sub.add_parser(
        "tune-verify",
        help="tune the recognizer's check on a detector's "
        "boxes on validation photos; --write puts it in the detector card",
    )
    v.add_argument("detector")
    v.add_argument("recognizer")
    v.add_argument(
        "split",
        nargs="+",
        help="validation split folders (photos); several count alike (their mean)",
    )
    v.add_argument("--write", action="store_true")
    v.add_argument(
        "--limit-side",
        type=int,
        help="detector input (default: the card's); "
        "--write then keeps the settings for that input (verify_at)",
    )
    v.add_argument("--device", default="cpu")
    v.set_defaults(run=_cmd_tune_verify)
    d = sub.add_parser(
        "detected-split",
        help="a photo split whose regions are a "
        "detector's boxes labelled from the ground truth (recognizer data)",
    )
    d.add_argument("detector")
    d.add_argument("split", help="training split folder (photos)")
    d.add_argument("--out", required=True)
    d.add_argument("--device", default="cpu")
    d.add_argument("--limit-side", type=int, help="detector input (default: the card's)")
    d.add_argument("--box-thresh", type=float, help="box score (default: the card's)")
    d.set_defaults(run=_cmd_detected_split)
    for name, fn in (("eval-rec", _cmd_eval_rec), ("eval-det", _cmd_eval_det)):
        e = sub.add_parser(name, help="score a model on a validation split folder")
        e.add_argument("model")
        e.add_argument("split")
        e.add_argument("--device", default="cpu")
        e.set_defaults(run=fn)
        if name == "eval-det":
            e.add_argument("--limit-side", type=int)
            e.add_argument("--tune", action="store_true", help="also search thresholds")
            e.add_argument(
                "--write",
                action="store_true",
                help="with --tune and --limit-side: keep the thresholds for that input in the card",
            )
    from recipes.conclr import add_parsers as add_conclr

    add_conclr(sub)
    args = p.parse_args(argv)
    print(json.dumps(args.run(args), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
