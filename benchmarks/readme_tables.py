"""Copies tables of a benchmark report into the README, between marker comments.

The README quotes the efficacy report's main table and goals; copied by hand they drift
from the committed cells. Each quoted table sits between `<!-- NAME -->` and
`<!-- /NAME -->` in the README; this script replaces it with the first Markdown table
under a given `## ` heading of the report.

Usage:
    python -m benchmarks.readme_tables                 # efficacy table and goals
    python -m benchmarks.readme_tables --check         # exit 1 if the README is stale
"""

import argparse
import os
import re
import sys

DEFAULT_REPORT = os.path.join("benchmarks", "results", "efficacy", "efficacy.md")
# README marker -> the report heading whose first table it quotes.
EFFICACY_BLOCKS = {
    "efficacy-table": "## Test accuracy",
    "goals-table": "## Goals",
}


def table_under(report: str, heading: str) -> str:
    """The first Markdown table after the `## ` line of `report` starting with `heading`.

    Args:
        report: the report's Markdown.
        heading: the start of the heading line, e.g. `"## Goals"`.

    Returns:
        The table's lines (header, rule and rows), joined by newlines.

    Raises:
        ValueError: no such heading, or no table under it before the next heading.
    """
    lines = report.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(heading)]
    if not starts:
        raise ValueError(f"no heading starting with {heading!r} in the report")
    table = []
    for line in lines[starts[0] + 1:]:
        if line.startswith("## "):
            break
        if line.startswith("|"):
            table.append(line)
        elif table:
            break
    if not table:
        raise ValueError(f"no table under {heading!r} in the report")
    return "\n".join(table)


def replace_block(text: str, marker: str, content: str) -> str:
    """`text` with what stands between `<!-- marker -->` and `<!-- /marker -->` replaced.

    Args:
        text: the README's Markdown.
        marker: the block's name.
        content: the new block (without the markers).

    Returns:
        The new text.

    Raises:
        ValueError: the markers are missing or appear more than once.
    """
    pattern = re.compile(rf"(<!-- {re.escape(marker)} -->\n)(.*?)(<!-- /{re.escape(marker)} -->)",
                         re.DOTALL)
    if len(pattern.findall(text)) != 1:
        raise ValueError(f"the README needs exactly one <!-- {marker} --> ... "
                         f"<!-- /{marker} --> block")
    return pattern.sub(lambda m: m.group(1) + content + "\n" + m.group(3), text)


def synced(readme: str, report: str, blocks: dict[str, str] = EFFICACY_BLOCKS) -> str:
    """`readme` with each block of `blocks` (marker -> heading) copied from `report`."""
    for marker, heading in blocks.items():
        readme = replace_block(readme, marker, table_under(report, heading))
    return readme


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--readme", default="README.md")
    parser.add_argument("--report", default=DEFAULT_REPORT)
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if the README's tables differ")
    args = parser.parse_args(argv)
    with open(args.readme, encoding="utf-8") as f:
        readme = f.read()
    with open(args.report, encoding="utf-8") as f:
        new = synced(readme, f.read())
    if args.check:
        stale = new != readme
        print(f"{args.readme}: {'stale' if stale else 'up to date'} against {args.report}")
        return int(stale)
    with open(args.readme, "w", encoding="utf-8") as f:
        f.write(new)
    print(f"{args.readme}: tables copied from {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
