"""`ocrstudio models`: every architecture ocrstudio can build, with its full-size
parameter count. `--format json` prints exactly one JSON array on stdout.

`ocrstudio models import FILE.onnx --out DIR [--dict FILE]` converts a PaddleOCR ONNX
model (PP-OCRv6 detector or recognizer) into an ocrstudio checkpoint folder."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models", help="list the detection and recognition architectures"
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text table (default) or one JSON array",
    )
    parser.set_defaults(handler=run)
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    imp = sub.add_parser(
        "import",
        help="convert a PaddleOCR ONNX model (PP-OCRv6 det/rec) into a checkpoint "
        "folder for --det/--rec, the GUI and `train --base`",
    )
    imp.add_argument("file", help="the .onnx file (read, never executed)")
    imp.add_argument("--out", required=True, help="checkpoint folder to write")
    imp.add_argument(
        "--dict",
        dest="dictionary",
        help="the model's character dictionary, one per line (PaddleOCR's "
        "*_dict.txt), when the file's metadata holds none",
    )
    imp.add_argument("--name", help="model name shown in the app (default: the file's stem)")
    imp.set_defaults(handler=run_import)


def run_import(args: argparse.Namespace) -> int:
    from ocrstudio.services.model_import import import_model

    card = import_model(args.file, args.out, args.dictionary, args.name)
    extra = f", {len(card.charset)} characters" if card.charset is not None else ""
    print(
        f"{args.out}: {card.role} {card.architecture} ({card.params or 0:,} "
        f"parameters{extra}) from {args.file}"
    )
    return 0


def describe_models() -> list[dict[str, object]]:
    """name, role, params (every parameter of the full config, frozen ones included;
    recognizers with the default charset), input_size and summary of each architecture."""
    import torch

    from ocrstudio.core.charset import Charset
    from ocrstudio.engine.zoo import ARCHITECTURES, count_parameters

    rows: list[dict[str, object]] = []
    for name, spec in ARCHITECTURES.items():
        # Recognizers' output layers depend on the charset: count with the default one.
        charset = Charset.default() if spec.role == "recognizer" else None
        # The meta device allocates nothing: counting a 100M-parameter model costs no RAM.
        with torch.device("meta"):
            model = spec.build(spec.config("full"), charset)
        rows.append(
            {
                "name": name,
                "role": spec.role,
                "params": int(count_parameters(model)),
                "input_size": spec.input_size,
                "summary": spec.summary,
            }
        )
    return rows


def run(args: argparse.Namespace) -> int:
    import json

    rows = describe_models()
    if args.format == "json":
        print(json.dumps(rows))
        return 0
    width = max(len(str(r["name"])) for r in rows) if rows else 4
    print(f"{'name':<{width}}  {'role':<10}  {'params':>12}  input / summary")
    for r in rows:
        print(
            f"{r['name']!s:<{width}}  {r['role']!s:<10}  {r['params']:>12,}  "
            f"{r['input_size']}  |  {r['summary']}"
        )
    return 0
