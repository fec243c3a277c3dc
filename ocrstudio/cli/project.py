"""`ocrstudio project new|info|conventions`: create a project folder, show what it holds,
show or switch its labelling conventions (`keep-filter`, the verb's first name, stays as
an alias)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ocrstudio.services.jobs import JobProgress


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "project",
        help="create a project or show what it holds",
        description="Create a project folder or show what it holds.",
    )
    verbs = p.add_subparsers(dest="project_verb", metavar="ACTION", required=True)
    new = verbs.add_parser("new", help="create a project folder (project.db + models/)")
    new.add_argument("project", metavar="PROJECT", help="folder to create the project in")
    new.add_argument("--images", metavar="DIR", help="add the images under DIR (recursively)")
    new.add_argument(
        "--db",
        metavar="URL",
        help="a team project on a PostgreSQL server: postgresql://[USER@]HOST"
        "[:PORT]/DATABASE (an empty database; no password in it: libpq reads "
        "~/.pgpass or PGPASSWORD). The folder gets team.json; keep the photos "
        "and models/ in it on a drive the team shares",
    )
    new.set_defaults(handler=_new)
    info = verbs.add_parser("info", help="counts of images, regions, verified, per split")
    info.add_argument("project", metavar="PROJECT")
    info.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people (default) or one JSON object",
    )
    info.set_defaults(handler=_info)
    keep = verbs.add_parser(
        "conventions",
        aliases=["keep-filter"],
        help="show the project's labelling conventions (keep filter, "
        "text rules), or switch them on or off",
        description="The conventions ('ocrstudio improve' learns them "
        "where they read better) leave out, when pre-labelling, the "
        "regions the person would not label (the keep filter) and write "
        "texts as the person does (the text rules).",
    )
    keep.add_argument("project", metavar="PROJECT")
    keep.add_argument("switch", nargs="?", choices=("on", "off"))
    keep.set_defaults(handler=_conventions)


def log_progress(what: str, every: float = 0.1) -> Callable[[JobProgress], None]:
    """A progress callback (`services.jobs.JobProgress`) that logs to stderr about every
    `every` of the way."""
    import logging

    log = logging.getLogger("ocrstudio")
    state = {"next": 0.0}

    def report(p: JobProgress) -> None:
        frac = p.done / p.total if p.total else 1.0
        if frac >= state["next"] or p.done == p.total:
            log.info("%s: %d/%d %s", what, p.done, p.total, p.text())
            state["next"] = frac + every

    return report


def _new(args: argparse.Namespace) -> int:
    from ocrstudio.services.project import create_project, project_info

    if args.db:
        from ocrstudio.services.team import create_team_project

        made = create_team_project(
            args.project, args.db, args.images, progress=log_progress("images")
        )
    else:
        made = create_project(args.project, args.images, progress=log_progress("images"))
    with made as h:
        info = project_info(h)
    where = f" (team project on {info['database']})" if args.db else ""
    print(f"created {info['folder']}{where}: {info['images']} images")
    return 0


def _info(args: argparse.Namespace) -> int:
    import json

    from ocrstudio.services.project import open_project, project_info

    with open_project(args.project, read_only=True) as h:  # a reading command never writes
        info = project_info(h)
    if args.format == "json":
        print(json.dumps(info, ensure_ascii=False))
    else:
        print(format_info(info))
    return 0


def format_info(info: dict) -> str:
    lines = [
        f"project   {info['name']}  ({info['folder']})",
        f"images    {info['images']}  ({info['verified_images']} verified, "
        f"{info['status']['prelabeled']} pre-labeled, {info['status']['new']} new)",
        f"regions   {info['regions']}  ({info['verified']} verified)",
        f"models    {info['model_versions']} versions, {info['training_runs']} training runs",
        f"{'split':<8}{'images':>8}{'regions':>10}{'verified':>10}",
    ]
    for name, c in info["splits"].items():
        lines.append(f"{name:<8}{c['images']:>8}{c['regions']:>10}{c['verified_regions']:>10}")
    if info.get("database", "").startswith("postgresql"):
        lines.insert(1, f"database  {info['database']}")
        stages = ", ".join(f"{n} {k}" for k, n in info["stages"].items())
        lines.append(f"stages    {stages}")
    if info.get("people"):
        lines.append(
            f"{'person':<16}{'regions':>8}{'labelled':>10}{'reviewed':>10}"
            f"{'accepted':>10}{'sent back':>11}"
        )
        for name, c in info["people"].items():
            lines.append(
                f"{name[:15]:<16}{c['regions']:>8}{c['labelled']:>10}"
                f"{c['reviewed']:>10}{c['accepted']:>10}{c['sent_back']:>11}"
            )
    return "\n".join(lines)


def _conventions(args: argparse.Namespace) -> int:
    from ocrstudio.services.model_choice import conventions_of, use_conventions
    from ocrstudio.services.project import open_project

    with open_project(args.project, read_only=args.switch is None) as h:
        if args.switch is not None:
            use_conventions(h, args.switch == "on")
        keep = conventions_of(h)
    if not keep.learned:
        print("no keep filter: pre-labelling keeps what the models find")
    else:
        print(f"conventions {'on' if keep.on else 'off'}: {keep.describe()}")
    return 0
