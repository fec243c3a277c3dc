"""`ocrstudio models`: every architecture ocrstudio can build, with its full-size
parameter count. `--format json` prints exactly one JSON array on stdout."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models", help="list the detection and recognition architectures")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text table (default) or one JSON array")
    parser.set_defaults(handler=run)


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
        rows.append({"name": name, "role": spec.role, "params": int(count_parameters(model)),
                     "input_size": spec.input_size, "summary": spec.summary})
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
        print(f"{r['name']!s:<{width}}  {r['role']!s:<10}  {r['params']:>12,}  "
              f"{r['input_size']}  |  {r['summary']}")
    return 0
