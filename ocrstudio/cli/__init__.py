"""The `ocrstudio` command. Each verb lives in its own module with `register(subparsers)`;
modules import only argparse at the top so `ocrstudio --help` and the cold start stay fast
(torch, Qt and SQLAlchemy load inside the verb that needs them)."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from ocrstudio import __version__
from ocrstudio.core.errors import OcrStudioError

# The verbs, in the order `--help` lists them. Explicit on purpose: no plugin discovery.
VERB_MODULES: tuple[str, ...] = (
    "ocrstudio.cli.gui",
    "ocrstudio.cli.project",
    "ocrstudio.cli.team",
    "ocrstudio.cli.transfer",
    "ocrstudio.cli.evaluate",
    "ocrstudio.cli.models",
    "ocrstudio.cli.synth",
    "ocrstudio.cli.train",
    "ocrstudio.cli.improve",
    "ocrstudio.cli.ocr",
    "ocrstudio.cli.prelabel",
    "ocrstudio.cli.bench",
)


def printable(text: str) -> str:
    """`text` with control characters as escapes (`\\x1b`, `\\n`): a file name holding
    terminal codes or a NUL must not clear a person's screen or set its title."""
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in text)


class _Printable(logging.Formatter):
    """Log lines name files too: escaped as errors are."""

    def format(self, record: logging.LogRecord) -> str:
        copy = logging.makeLogRecord(record.__dict__)  # a traceback keeps its lines
        copy.msg, copy.args = printable(record.getMessage()), None
        return super().format(copy)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ocrstudio",
        description="OCR annotation, pre-labeling, training and evaluation. "
        "With no verb, opens the annotation window.",
    )
    parser.add_argument("--version", action="version", version=f"ocrstudio {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for name in VERB_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Printable("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, handlers=[handler])
    if not getattr(args, "handler", None):
        if args.verb is None:  # bare `ocrstudio` opens the GUI, as ARCHITECTURE.md says
            args = parser.parse_args(["gui", *(argv or [])])
        else:
            parser.print_help(sys.stderr)
            return 2
    try:
        code = int(args.handler(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return code
    except OcrStudioError as exc:
        print(f"ocrstudio: error: {printable(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ocrstudio: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `ocrstudio ... | head -1`: the reader has what it wanted
        _quiet_stdout()
        return 141
    except OSError as exc:  # a full disk, a name too long, no rights: the file, one line
        where = f"{printable(str(exc.filename))}: " if exc.filename else ""
        print(f"ocrstudio: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's flush at exit does not raise the
    broken pipe a second time."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
