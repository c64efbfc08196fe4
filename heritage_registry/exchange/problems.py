"""What an import says is wrong with a file: its exceptions and the words of its problems.

An import reports every problem of a file, not only the first: each with its line and
the field in the words of the file (`citation 1's quote` in JSON Lines, the column in
CSV), the first `PROBLEMS_SHOWN` of them (`exchange.validate`) in the order of the
file's lines and how many more there are (`ImportProblems`). A file that is no text of
its format at all (UTF-16, binary, the other format) is `UnreadableFile`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from heritage_registry.errors import RegistryError, describe_validation_error
from heritage_registry.render import plural

# Control characters as they are shown in a problem: `\x1b`, never the character itself.
_CONTROL = {code: f"\\x{code:02x}" for code in [*range(0x20), 0x7F]}


class ImportFailed(RegistryError):
    """A file that cannot be imported; the message names the line and what is wrong.

    `problems` lists each problem found as `(line, problem)`, in the order of the lines,
    and `more` counts those beyond them (`ImportProblems`); here, the one problem.
    """

    def __init__(self, line: int, problem: str) -> None:
        self.line = line
        # The problem may quote the file; its control characters must not reach a
        # terminal as themselves (a forged second line, an escape sequence).
        self.problems = [(line, problem.translate(_CONTROL))]
        self.more = 0
        super().__init__(f"line {line}: {self.problems[0][1]}")

    def where(self, line: int) -> str:
        """Where in the file a problem is, from its line number: `line 3`."""
        return f"line {line}"

    def listed(self) -> list[str]:
        """Each problem on a line of its own, `line N: ...`, then `and N more problems`."""
        shown = [f"{self.where(line)}: {problem}" for line, problem in self.problems]
        if self.more:
            shown.append(f"and {plural(self.more, 'more problem')}")
        return shown


class ImportProblems(ImportFailed):
    """A file with several problems: each of the first `PROBLEMS_SHOWN`, and how many more.

    The message is a header line and then each problem on a line of its own, so that a
    person can fix them all before the next try.
    """

    def __init__(self, problems: Sequence[tuple[int, str]], more: int = 0) -> None:
        self.line = problems[0][0]
        self.problems = list(problems)
        self.more = more
        RegistryError.__init__(self, self.naming("the file"))

    @property
    def count(self) -> int:
        """How many problems the file has, listed or not."""
        return len(self.problems) + self.more

    def naming(self, name: str) -> str:
        """The message with the file's name in its header."""
        name = name.translate(_CONTROL)
        header = f"{plural(self.count, 'problem')} in {name}; nothing was written:"
        return "\n".join([header, *(f"  {line}" for line in self.listed())])


@dataclass(frozen=True)
class BadLine:
    """What a reader gives for a line it cannot make a record of, so that the import goes
    on to report the problems of the lines after it."""

    problem: str


class UnreadableFile(ImportFailed):
    """A file that is not text of the format it is read as: UTF-16, binary, or the other
    format (JSON Lines read as CSV, CSV read as JSON Lines).

    `problem` follows the file's name: `events.jsonl does not look like CSV: ...`; the
    message, for a file without a name, is `line 1: the file does not look like CSV: ...`.
    """

    def __init__(self, line: int, problem: str) -> None:
        self.problem = problem
        super().__init__(line, f"the file {problem}")

    def naming(self, name: str) -> str:
        """The message with the file's name as its subject."""
        return f"{name.translate(_CONTROL)} {self.problem}"


_ITEM_NAMES = {"citations": "citation", "alt_names": "alt name", "mentions": "mention"}

# A problem's field, from pydantic's location of it within a record (`("citations", 0,
# "quote")`), as the file's reader names it to its user.
FieldName = Callable[[tuple[int | str, ...]], str]


def readable_field(loc: tuple[int | str, ...]) -> str:
    """A field of a JSON Lines record in words: `citation 1's quote`, not `citations.0.quote`.

    Items of a list are counted from 1, as the CSV export numbers its citation columns.
    """
    parts: list[str] = []
    index = 0
    while index < len(loc):
        item = loc[index]
        following = loc[index + 1] if index + 1 < len(loc) else None
        if isinstance(item, str) and isinstance(following, int):
            parts.append(f"{_ITEM_NAMES.get(item, item)} {following + 1}")
            index += 2
            continue
        parts.append(f"item {item + 1}" if isinstance(item, int) else item)
        index += 1
    return "'s ".join(parts)


_NO_TYPE = 'needs a "type" of site, monument, source or event'


def line_problems(exc: ValidationError, errors: Iterable[Any], field_name: FieldName) -> list[str]:
    """Each validation problem of one line, described from its own fields in the user's
    words: `errors` are pydantic's, located within the record (no list index, no tag)."""
    problems: list[str] = []
    for error in errors:
        if error["type"] in ("union_tag_not_found", "union_tag_invalid"):
            if _NO_TYPE not in problems:
                problems.append(_NO_TYPE)
            continue
        loc = tuple(error["loc"])
        name = field_name(loc)
        least = error.get("ctx", {}).get("min_length")
        if error["type"] in ("string_too_short", "too_short") and name and least is not None:
            # Said in the file's words, not pydantic's ("should have at least 1 item
            # after validation").
            empty = not error.get("input")
            fix = "give a value" if error["type"] == "string_too_short" else f"give {least} or more"
            problems.append(f"{name}: {'empty' if empty else 'too short'}; {fix}")
            continue
        # A vocabulary's message names the value's kind (`unknown stance 'x'`): the field's
        # own name, after the field in the file's words where that is another.
        leaf = str(loc[-1]) if error["type"] == "enum" and loc else name
        located = {**error, "loc": (leaf,) if leaf else ()}
        single = ValidationError.from_exception_data(exc.title, [located])  # type: ignore[list-item]
        problem = describe_validation_error(single)
        problems.append(f"{name}: {problem}" if leaf != name else problem)
    return problems
