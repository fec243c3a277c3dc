"""`ocrstudio team submit|review|accept|send-back|reviewer|leases|copy`: the review
stages of a team project, its reviewers, who holds what now, and moving a project between
a project file and a PostgreSQL server. The acting person is $OCRSTUDIO_USER, else the
login name."""

from __future__ import annotations

import argparse

STEPS = {
    "submit": "a labeller is done with an image: open -> labelled (verified)",
    "review": "a reviewer checked it: labelled -> reviewed",
    "accept": "a reviewer accepts it: reviewed -> accepted (exports and training may "
    "take only accepted images)",
    "send-back": "a reviewer returns it to open, with a note saying what to fix",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "team",
        help="review stages, reviewers, leases; move a project to a PostgreSQL server and back",
        description="Work on a team project (see `project new --db`).",
    )
    verbs = p.add_subparsers(dest="team_verb", metavar="ACTION", required=True)
    for verb, text in STEPS.items():
        v = verbs.add_parser(verb, help=text, description=text)
        v.add_argument("project", metavar="PROJECT")
        v.add_argument(
            "images",
            metavar="IMAGE",
            nargs="+",
            help="an image's id or its path as `project info` stores it",
        )
        if verb == "send-back":
            v.add_argument("--note", required=True, help="what the labeller should fix")
        v.set_defaults(handler=_step, step=verb)
    r = verbs.add_parser(
        "reviewer",
        help="make NAME a reviewer (or --remove); with no NAME "
        "list them (while none is named, everyone may review)",
    )
    r.add_argument("project", metavar="PROJECT")
    r.add_argument("name", metavar="NAME", nargs="?")
    r.add_argument("--remove", action="store_true")
    r.set_defaults(handler=_reviewer)
    a = verbs.add_parser(
        "accepted-only", help="whether training takes only accepted images: show, or switch on/off"
    )
    a.add_argument("project", metavar="PROJECT")
    a.add_argument("switch", nargs="?", choices=("on", "off"))
    a.set_defaults(handler=_accepted_only)
    le = verbs.add_parser("leases", help="who is working on which image now, and training")
    le.add_argument("project", metavar="PROJECT")
    le.set_defaults(handler=_leases)
    c = verbs.add_parser(
        "copy",
        help="copy a project whole into a new one: a project file, "
        "or with --db a team project on an empty PostgreSQL database",
        description="Copies every image, region, model version and run "
        "(ids and times kept) and the models folder; the photos stay where "
        "they are.",
    )
    c.add_argument("source", metavar="SOURCE", help="a project folder (file or team)")
    c.add_argument("dest", metavar="DEST", help="the new project's folder")
    c.add_argument("--db", metavar="URL", help="postgresql://[USER@]HOST[:PORT]/DATABASE")
    c.set_defaults(handler=_copy)


def _step(args: argparse.Namespace) -> int:
    from ocrstudio.services import team
    from ocrstudio.services.project import open_project

    with open_project(args.project) as h:
        for key in args.images:
            image_id = team.find_image(h, key)
            if args.step == "send-back":
                team.send_back(h, image_id, args.note)
            else:
                {"submit": team.submit, "review": team.review, "accept": team.accept}[args.step](
                    h, image_id
                )
            print(f"{key}: {args.step} by {h.author}")
    return 0


def _reviewer(args: argparse.Namespace) -> int:
    from ocrstudio.services import team
    from ocrstudio.services.project import open_project

    with open_project(args.project, read_only=args.name is None) as h:
        names = (
            team.reviewers(h)
            if args.name is None
            else team.set_reviewer(h, args.name, not args.remove)
        )
    print("reviewers: " + (", ".join(names) if names else "none named (everyone may review)"))
    return 0


def _accepted_only(args: argparse.Namespace) -> int:
    from ocrstudio.services import team
    from ocrstudio.services.project import open_project

    with open_project(args.project, read_only=args.switch is None) as h:
        if args.switch is not None:
            team.set_accepted_only(h, args.switch == "on")
        on = team.accepted_only(h)
    print(
        "training takes "
        + ("only the images a reviewer accepted" if on else "every verified image")
    )
    return 0


def _leases(args: argparse.Namespace) -> int:
    from ocrstudio.services import team
    from ocrstudio.services.project import open_project

    with open_project(args.project, read_only=True) as h:
        held = team.all_leases(h)
    for lease in held:
        print(f"{lease.resource:<16} {lease.holder:<20} until {lease.expires:%H:%M:%S} UTC")
    if not held:
        print("nobody holds anything now")
    return 0


def _copy(args: argparse.Namespace) -> int:
    from ocrstudio.services import team
    from ocrstudio.services.project import open_project

    with open_project(args.source, read_only=True) as h:
        dest = team.copy_project(h, args.dest, url=args.db)
    print(f"copied {args.source} to {dest}" + (f" (team project on {args.db})" if args.db else ""))
    return 0
