"""The ``ccm afp`` commands: ``ccm afp inspect FILE`` and ``ccm afp validate FILE``.

``inspect`` prints the structured fields as readable text (exit 0; 1 if the file breaks off;
2 if it cannot be read). ``validate`` checks the file against the MO:DCA-P / PTOCA rules of
:mod:`ccmcore.afp.validate` and exits 0 when it is valid, 1 when problems are found (the first
20 printed as ``offset 0x…: RULE: message``), 2 when the file cannot be read.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_commands", "main"]


def _inspect(args: argparse.Namespace) -> int:
    from .inspect import iter_dump

    try:
        broken = False
        out = sys.stdout
        for line in iter_dump(args.file):
            broken = broken or line.startswith("!! ")
            out.write(line + "\n")
        out.flush()
    except BrokenPipeError:  # pragma: no cover - `ccm afp inspect f | head`
        return 0
    except OSError as exc:
        print(f"ccm afp inspect: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 1 if broken else 0


def _validate(args: argparse.Namespace) -> int:
    from .validate import format_problems, validate

    try:
        problems = validate(args.file)
    except OSError as exc:
        print(f"ccm afp validate: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    if not problems:
        if not args.quiet:
            print(f"{args.file}: valid")
        return 0
    for line in format_problems(problems, args.limit):
        print(line)
    print(f"{args.file}: {len(problems)} problem(s)", file=sys.stderr)
    return 1


def add_commands(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``afp inspect FILE`` and ``afp validate FILE`` on the ``ccm`` sub-command parsers.

    Each leaf parser sets ``run`` to a function of the parsed arguments returning the exit status,
    like the other ``ccm`` commands.

    Args:
        subparsers: the object returned by ``ArgumentParser.add_subparsers()``.

    Returns:
        The ``afp`` parser.
    """
    afp = subparsers.add_parser("afp", help="inspect or validate AFP (MO:DCA-P) print files")
    sub = afp.add_subparsers(dest="afp_command", required=True)
    p = sub.add_parser("inspect", help="print the structured fields of an AFP file as readable text")
    p.add_argument("file", help="AFP file")
    p.set_defaults(run=_inspect)
    p = sub.add_parser("validate", help="check nesting, lengths, triplets, PTOCA chains and fonts of an AFP file")
    p.add_argument("file", help="AFP file")
    p.add_argument("--limit", type=int, default=20, help="print at most this many problems (default 20)")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing when the file is valid")
    p.set_defaults(run=_validate)
    return afp


def main(argv: list[str] | None = None) -> int:
    """Run ``afp inspect|validate`` on its own (``python -m ccmcore.afp.cli validate FILE``)."""
    parser = argparse.ArgumentParser(prog="ccm")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["afp", *(sys.argv[1:] if argv is None else argv)])
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
