"""Tables as people read them: markdown for wikis and pull request comments, aligned plain text
for a terminal. The CLI prints `aligned` when its output is a terminal and `markdown` when piped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Align = Literal["left", "right"]


@dataclass(frozen=True)
class Column:
    title: str
    align: Align = "left"


Row = Sequence[str]


def markdown_cell(text: str) -> str:
    """A pipe or a line break inside a cell would break the table."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def markdown(columns: Sequence[Column], rows: Sequence[Row], footer: Sequence[Row] = ()) -> str:
    """A GitHub-flavoured markdown table, one line per row, ending with a newline. Footer rows
    (totals) are plain rows at the end."""
    lines = ["| " + " | ".join(markdown_cell(column.title) for column in columns) + " |"]
    lines.append("| " + " | ".join("---:" if c.align == "right" else "---" for c in columns) + " |")
    for row in [*rows, *footer]:
        _check_width(columns, row)
        lines.append("| " + " | ".join(markdown_cell(cell) for cell in row) + " |")
    return "\n".join(lines) + "\n"


def aligned(columns: Sequence[Column], rows: Sequence[Row], footer: Sequence[Row] = (), *, gap: int = 2) -> str:
    """Columns padded to their widest cell, a rule under the header and above the footer rows
    (totals), no trailing spaces."""
    header = [column.title for column in columns]
    body = [_plain(columns, row) for row in rows]
    bottom = [_plain(columns, row) for row in footer]
    everything = [header, *body, *bottom]
    widths = [max(len(line[index]) for line in everything) for index in range(len(columns))]
    rule = ["-" * width for width in widths]
    lines = []
    for line in [header, rule, *body, *([rule] if bottom else []), *bottom]:
        padded = [
            text.rjust(width) if column.align == "right" else text.ljust(width)
            for text, width, column in zip(line, widths, columns, strict=True)
        ]
        lines.append((" " * gap).join(padded).rstrip())
    return "\n".join(lines) + "\n"


def render(
    columns: Sequence[Column], rows: Sequence[Row], fmt: Literal["markdown", "table"], footer: Sequence[Row] = ()
) -> str:
    return aligned(columns, rows, footer) if fmt == "table" else markdown(columns, rows, footer)


def _plain(columns: Sequence[Column], row: Row) -> list[str]:
    _check_width(columns, row)
    return [" ".join(cell.splitlines()) for cell in row]


def _check_width(columns: Sequence[Column], row: Row) -> None:
    if len(row) != len(columns):
        raise ValueError(f"a row of {len(row)} cells in a table of {len(columns)} columns")
