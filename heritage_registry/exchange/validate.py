"""The import's first pass: every record checked, the valid ones staged, nothing written.

The records are validated a batch at a time with the same Create models as the CLI (one
`TypeAdapter` call per batch, `RecordLine`); every reference (site, monument, source,
the event a citation line or a merge names) and every uid is checked against the
registry and the lines before; the normalised records are staged in a temporary SQLite
file (`_Staging`) for the second pass (`exchange.writer`). A batch's own work (decoding
its lines, validating, dumping: `_prepared`) is done by worker processes for a large file
(`exchange.workers`); the checks against the registry and the lines before are made here,
batch by batch in file order, on the records' staged form. Memory stays bounded by the
batch size and by the number of sites, monuments and sources, however many events the
file holds. A problem is noted with its line and the check goes on, so that one run
finds them all.
"""

from __future__ import annotations

import difflib
import marshal
import operator
import sqlite3
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa
from pydantic import TypeAdapter, ValidationError

from heritage_registry import mentions
from heritage_registry.db import among, chunked
from heritage_registry.errors import RegistryError
from heritage_registry.exchange.pacing import _collect_young
from heritage_registry.exchange.problems import (
    _CONTROL,
    BadLine,
    FieldName,
    ImportFailed,
    ImportProblems,
    UnreadableFile,
    line_problems,
)
from heritage_registry.exchange.records import RecordLine, _live_events
from heritage_registry.exchange.workers import Workers
from heritage_registry.models import (
    EVENT_TABLE,
    MONUMENT_TABLE,
    SITE_TABLE,
    SOURCE_TABLE,
    TEXT_TABLE,
    reported_too_early,
)

# Records validated in one call, and staged together.
BATCH_SIZE = 2_000

# The problems of a file an import reports, at most; the rest are counted.
PROBLEMS_SHOWN = 100

_BATCH = TypeAdapter(list[RecordLine])

_EVENT_FACTS = ("site", "monument", "cause", "damage_level", "occurred", "actor", "description")
# The parts of an event that make it the same event (citations may be added to), as a tuple.
_facts = operator.itemgetter(*_EVENT_FACTS)

# A staged record is the JSON form of its line, less the type its chunk of staging names.
_NOT_STAGED = {"__all__": {"type"}}

# Staged records of one kind, in file order, as `(kind, records)`.
Chunk = tuple[str, list[dict[str, Any]]]
# What a reader gives for each line, made a record (a dict) or a `BadLine`.
Decode = Callable[[int, Any], Any]


class _Prepared(NamedTuple):
    """A batch of valid records: their line numbers, kinds and staged forms."""

    numbers: list[int]
    kinds: list[str]
    bodies: list[dict[str, Any]]


def _dumped(numbers: list[int], records: list[Any]) -> _Prepared:
    # One call for the batch: a model_dump per record costs a call into pydantic each.
    bodies: list[dict[str, Any]] = _BATCH.dump_python(records, mode="json", exclude=_NOT_STAGED)
    return _Prepared(numbers, [record.type for record in records], bodies)


def _prepared(
    batch: list[tuple[int, Any]], decode: Decode | None
) -> _Prepared | list[tuple[int, Any]]:
    """A batch decoded, validated and in its staged form: what needs nothing but its lines,
    done here or in a worker (`Workers`). A batch with a line that is no record, or one
    the models refuse, is given back decoded, for the validator to describe its problems."""
    if decode is not None:
        batch = [(number, decode(number, item)) for number, item in batch]
    values = [value for _number, value in batch]
    if any(type(value) is BadLine for value in values):
        return batch
    try:
        records = _BATCH.validate_python(values)
    except ValidationError:
        return batch
    return _dumped([number for number, _value in batch], records)


class _Staging:
    """A temporary SQLite file holding the validated records between the two passes.

    Records are staged a chunk at a time (one kind, at most a batch): a row per record cost
    more in SQLite calls and `marshal` calls, both ways, than encoding the records did.
    """

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="heritage-registry-import-")
        self.db = sqlite3.connect(Path(self._dir.name) / "staging.db")
        self.db.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            CREATE TABLE chunk (n INTEGER PRIMARY KEY, kind TEXT, body BLOB);
            CREATE TABLE uid (
                uid TEXT PRIMARY KEY, line INTEGER, digest INTEGER, site TEXT,
                monument TEXT, occurred TEXT
            ) WITHOUT ROWID;
            CREATE TABLE merge (
                uid TEXT PRIMARY KEY, line INTEGER, target TEXT, site TEXT
            ) WITHOUT ROWID;
            """
        )
        self.total = 0

    def close(self) -> None:
        self.db.close()
        self._dir.cleanup()

    def add(self, chunks: Sequence[Chunk]) -> None:
        # marshal: the staged records are read back by this same process, and it is
        # several times quicker than JSON both ways.
        self.db.executemany(
            "INSERT INTO chunk (kind, body) VALUES (?, ?)",
            [(kind, marshal.dumps(records)) for kind, records in chunks],
        )
        self.total += sum(len(records) for _kind, records in chunks)

    def count(self) -> int:
        return self.total

    def chunks(self) -> Iterator[Chunk]:
        for kind, body in self.db.execute("SELECT kind, body FROM chunk ORDER BY n"):
            yield kind, marshal.loads(body)


class _Validator:
    """The first pass: every line checked, nothing written to the registry.

    A problem is noted with its line (`fail`) and the check goes on, so that one run
    finds them all; once there is one, nothing more is staged, as nothing will be written.
    """

    def __init__(self, connection: sa.Connection, staging: _Staging, field_name: FieldName) -> None:
        self.connection = connection
        self.staging = staging
        self.field_name = field_name
        self.sites = set(connection.scalars(sa.select(SITE_TABLE.c.slug)))
        self.monuments = {
            (site, slug)
            for site, slug in connection.execute(
                sa.select(SITE_TABLE.c.slug, MONUMENT_TABLE.c.slug).join(
                    SITE_TABLE, SITE_TABLE.c.id == MONUMENT_TABLE.c.site_id
                )
            )
        }
        # Each source's publication date, the registry's or else the line's that adds it:
        # an event dated after a source that reports it was published is refused.
        self.published: dict[str, str | None] = {
            key: published
            for key, published in connection.execute(
                sa.select(SOURCE_TABLE.c.key, SOURCE_TABLE.c.published)
            )
        }
        self.sources = set(self.published)
        # The hash of each source's text, the registry's, then the first line's that gives
        # one, with that line's number (0 for the registry's): a text is never replaced
        # by an import.
        self.texts: dict[str, tuple[str, int]] = {
            key: (sha256, 0)
            for key, sha256 in connection.execute(
                sa.select(SOURCE_TABLE.c.key, TEXT_TABLE.c.sha256).join(
                    SOURCE_TABLE, SOURCE_TABLE.c.id == TEXT_TABLE.c.source_id
                )
            )
        }
        # The uids of event lines refused whole: what refers to them is not refused again.
        self.refused_uids: set[str] = set()
        # The nearest known name to each unknown one, by kind and name.
        self.nearest: dict[tuple[str, str], str | None] = {}
        self.lines = 0
        self.problems: list[tuple[int, int, str]] = []
        self.more = 0

    # Problems ---------------------------------------------------------------------

    def fail(self, number: int, problem: str) -> None:
        """Note a problem of line `number`; only the first PROBLEMS_SHOWN lines' are kept."""
        # The order in which problems were found, to keep a line's in that order.
        self.problems.append((number, len(self.problems) + self.more, problem.translate(_CONTROL)))
        if len(self.problems) > 10 * PROBLEMS_SHOWN:
            self._keep_first()

    def _keep_first(self) -> None:
        self.problems.sort()
        self.more += len(self.problems[PROBLEMS_SHOWN:])
        del self.problems[PROBLEMS_SHOWN:]

    def check(self) -> None:
        """Raise the problems found, if any: one as `ImportFailed`, several as
        `ImportProblems`, in the order of the file's lines."""
        if not self.problems:
            return
        self._keep_first()
        if len(self.problems) == 1 and not self.more:
            number, _order, problem = self.problems[0]
            raise ImportFailed(number, problem)
        raise ImportProblems(
            [(number, problem) for number, _order, problem in self.problems], self.more
        )

    # Reading ----------------------------------------------------------------------

    def run(self, records: Iterable[tuple[int, Any]], decode: Decode | None = None) -> None:
        """Check `records`, `(line number, record)`; with `decode`, each record is what
        `decode(number, item)` makes of the item given (a line's bytes), a dict or a
        `BadLine`, and a large file's batches are decoded and validated by `Workers`."""
        batch: list[tuple[int, Any]] = []
        with Workers(_prepared, decode) as workers:
            try:
                for number, value in records:
                    self.lines = number
                    batch.append((number, value))
                    if len(batch) >= BATCH_SIZE:
                        self._take(workers.put(batch))
                        batch = []
                        _collect_young()
            except UnreadableFile:
                raise
            except ImportFailed as exc:
                # A file that cannot be read on (cut off in a quoted cell, not UTF-8): its
                # problem ends the list, after those of the lines read before it.
                if batch:
                    self._take(workers.put(batch))
                self._take(workers.drain())
                for number, problem in exc.problems:
                    self.fail(number, problem)
                return
            if batch:
                self._take(workers.put(batch))
            self._take(workers.drain())

    def _take(self, results: Iterable[_Prepared | list[tuple[int, Any]]]) -> None:
        for result in results:
            if isinstance(result, _Prepared):
                self._checked(*result)
            else:
                # A batch with a problem, validated again here to describe it.
                self._batch(result)

    def _batch(self, batch: list[tuple[int, Any]]) -> None:
        if any(type(value) is BadLine for _number, value in batch):
            for number, value in batch:
                if type(value) is BadLine:
                    self.fail(number, value.problem)
            batch = [(number, value) for number, value in batch if type(value) is not BadLine]
        numbers = [number for number, _ in batch]
        values = [value for _, value in batch]
        try:
            records = _BATCH.validate_python(values)
        except ValidationError as exc:
            refused = self._refused(numbers, values, exc)
            numbers = [n for i, n in enumerate(numbers) if i not in refused]
            values = [v for i, v in enumerate(values) if i not in refused]
            records = _BATCH.validate_python(values)
        self._checked(*_dumped(numbers, records))

    def _checked(self, numbers: list[int], kinds: list[str], bodies: list[dict[str, Any]]) -> None:
        """Check valid records, in their staged form, against the registry and the lines
        before, and stage them."""
        chunks: list[Chunk] = []
        events: list[tuple[int, dict[str, Any]]] = []
        cites: list[tuple[int, dict[str, Any]]] = []
        merged: list[tuple[str, int, str, str]] = []
        for number, kind, body in zip(numbers, kinds, bodies, strict=True):
            if kind == "event":
                self._check_event(number, body)
                events.append((number, body))
                if body["merged_into"] is not None:
                    merged.append((body["uid"], number, body["merged_into"], body["site"]))
            elif kind == "cite":
                cites.append((number, body))
            elif kind == "site":
                self.sites.add(body["slug"])
            elif kind == "monument":
                self._need_site(number, body["site"])
                self.monuments.add((body["site"], body["slug"]))
            elif kind == "source":
                self.sources.add(body["key"])
                self.published.setdefault(body["key"], body["published"])
            elif kind == "text":
                self._check_text(number, body)
            if chunks and chunks[-1][0] == kind:
                chunks[-1][1].append(body)
            else:
                chunks.append((kind, [body]))
        self._check_uids(events)
        if cites:
            self._check_cites(cites)
        if merged:
            # A uid given twice is one event: its first line's merge is the one kept.
            self.staging.db.executemany(
                "INSERT OR IGNORE INTO merge (uid, line, target, site) VALUES (?, ?, ?, ?)", merged
            )
        if not self.problems:
            # Once a line is refused nothing will be written: staging the rest is waste.
            self.staging.add(chunks)

    def _refused(self, numbers: list[int], values: list[Any], exc: ValidationError) -> set[int]:
        """Note the problems of the lines pydantic refused; returns their indexes.

        What a refused line would have added (its site's slug, its source's key, its
        event's uid) counts as given, so that the lines referring to it are not refused
        for want of it as well: the one problem is its own.
        """
        errors: dict[int, list[Any]] = {}
        for error in exc.errors(include_url=False):
            loc = error["loc"]
            index = loc[0] if loc and isinstance(loc[0], int) else 0
            # Past the list index, pydantic names the union's tag: the record's own fields.
            errors.setdefault(index, []).append({**error, "loc": loc[2:]})
        for index, found in sorted(errors.items()):
            for problem in line_problems(exc, found, self.field_name):
                self.fail(numbers[index], problem)
            self._count_as_given(values[index])
        return set(errors)

    def _count_as_given(self, value: Any) -> None:
        if not isinstance(value, dict):
            return
        kind = value.get("type")
        name = value.get("slug") if kind in ("site", "monument") else value.get("key")
        if kind == "site" and isinstance(name, str):
            self.sites.add(name)
        elif kind == "monument" and isinstance(name, str) and isinstance(value.get("site"), str):
            self.monuments.add((value["site"], name))
        elif kind == "source" and isinstance(name, str):
            self.sources.add(name)
        elif kind in ("event", "cite") and value.get("uid") is not None:
            self.refused_uids.add(str(value["uid"]).lower())

    # Checks -----------------------------------------------------------------------

    def _missing(self, what: str, name: str, known: Callable[[], Collection[str]]) -> str:
        """`no site 'palmira' in the registry or earlier in the file; did you mean
        'palmyra'? else add it first`: the nearest name suggested, as `NotFound` does."""
        key = (what, name)
        if key not in self.nearest:
            close: str | None = None
            if len(self.nearest) < PROBLEMS_SHOWN:
                # Looked for among every slug or key once per name, for the first names only.
                candidates = known()
                completions = [candidate for candidate in candidates if candidate.startswith(name)]
                found = (
                    completions
                    if len(completions) == 1
                    else difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
                )
                close = found[0] if found else None
            self.nearest[key] = close
        close = self.nearest[key]
        hint = f"did you mean {close!r}? else add it first" if close else "add it first"
        return f"no {what} {name!r} in the registry or earlier in the file; {hint}"

    def _need_site(self, number: int, slug: str) -> bool:
        if slug not in self.sites:
            self.fail(number, self._missing("site", slug, lambda: self.sites))
            return False
        return True

    def _check_text(self, number: int, record: dict[str, Any]) -> None:
        """A text's source is known, and has no other text in the registry or the file.

        A source's text is evidence its citations are checked against: an import does not
        replace it, as it does not change an event the registry holds. The same text
        (the same SHA-256) given again is already present.
        """
        source, sha256 = record["source"], record["sha256"]
        if source not in self.sources:
            self.fail(number, self._missing("source", source, lambda: self.sources))
            return
        assert sha256 is not None
        held = self.texts.setdefault(source, (sha256, number))
        if held[0] == sha256:
            return
        if held[1] == 0:
            self.fail(
                number,
                f"source {source!r} keeps another text in the registry (sha256 "
                f"{held[0]}, not {sha256}); an import does not replace it: replace it "
                f"with 'registry attach-text {source} FILE', or leave this line out",
            )
        else:
            self.fail(
                number,
                f"the text of source {source!r} was given on line {held[1]} with different content",
            )

    def _check_event(self, number: int, event: dict[str, Any]) -> None:
        site, monument = event["site"], event["monument"]
        if not self._need_site(number, site):
            return
        if monument is not None and (site, monument) not in self.monuments:
            problem = self._missing(
                "monument",
                monument,
                lambda: [slug for known, slug in self.monuments if known == site],
            )
            where = f" of site {site!r} in the registry"
            self.fail(number, problem.replace(" in the registry", where, 1))
            return
        self._check_citations(number, event["citations"], site, monument, event["occurred"])

    def _check_citations(
        self,
        number: int,
        citations: Sequence[dict[str, Any]],
        site: str,
        monument: str | None,
        occurred: str,
    ) -> None:
        """The citations of an event of `site` (and `monument`) that `occurred` then: their
        sources known and published no earlier, their mentions monuments of the site."""
        for citation in citations:
            source = citation["source"]
            if source not in self.sources:
                self.fail(number, self._missing("source", source, lambda: self.sources))
                continue
            too_early = reported_too_early(occurred, source, self.published.get(source))
            if too_early is not None:
                self.fail(number, too_early)
            if citation["mentions"]:
                known = {slug for known_site, slug in self.monuments if known_site == site}
                try:
                    mentions.check(citation["mentions"], known, site=site, monument=monument)
                except RegistryError as exc:
                    self.fail(number, str(exc))

    def _check_cites(self, cites: list[tuple[int, dict[str, Any]]]) -> None:
        """Each line of citations names an event of the registry or of an earlier line."""
        uids = list({record["uid"] for _number, record in cites})
        in_file: dict[str, tuple[int, str, str | None, str]] = {}
        for part in chunked(uids):
            marks = ",".join("?" * len(part))
            for uid, line, site, monument, occurred in self.staging.db.execute(
                f"SELECT uid, line, site, monument, occurred FROM uid WHERE uid IN ({marks})", part
            ):
                in_file[uid] = (line, site, monument, occurred)
        stored = _cited_events(self.connection, [uid for uid in uids if uid not in in_file])
        for number, record in cites:
            uid = record["uid"]
            given = in_file.get(uid)
            if given is not None and given[0] < number:
                target: tuple[str, str | None, str] | None = given[1:]
            else:
                target = stored.get(uid)
            if target is None:
                if uid not in self.refused_uids:
                    self.fail(
                        number,
                        f"no event {uid} in the registry or earlier in the file to add the "
                        "citations to; check the uid",
                    )
                continue
            self._check_citations(number, record["citations"], *target)

    def check_merges(self) -> None:
        """Each `merged_into` names an event of the same site, in the file or the registry,
        and the file's merges form no circle (the registry's cannot)."""
        merges = self.staging.db.execute(
            "SELECT m.uid, m.line, m.target, m.site, u.site FROM merge AS m "
            "LEFT JOIN uid AS u ON u.uid = m.target ORDER BY m.line"
        ).fetchall()
        if not merges:
            return
        outside = [target for _uid, _line, target, _site, in_file in merges if in_file is None]
        stored = _stored_sites(self.connection, outside)
        for uid, line, target, site, in_file in merges:
            if target == uid:
                self.fail(
                    line, f"event {uid} is merged into itself; merged_into names another event"
                )
                continue
            target_site = in_file or stored.get(target)
            if target_site is None:
                if target not in self.refused_uids:
                    self.fail(
                        line,
                        f"merged_into: no event {target} in the registry or the file; give the "
                        "uid of the event it was merged into",
                    )
            elif target_site != site:
                self.fail(
                    line,
                    f"merged_into: event {target} is at site {target_site!r}, not {site!r}; an "
                    "event is merged only into one of its own site",
                )
        # An event in the registry keeps its state, merged or not; the file's other merges
        # must not lead round to where they start.
        held = set(_stored_sites(self.connection, [uid for uid, *_ in merges]))
        edges = {
            uid: target for uid, _line, target, *_ in merges if uid not in held and uid != target
        }
        lines = {uid: line for uid, line, *_ in merges}
        done: set[str] = set()
        for start in edges:
            path: list[str] = []
            on_path: set[str] = set()
            node = start
            while node in edges and node not in done:
                if node in on_path:
                    self.fail(
                        lines[node],
                        f"event {node} is merged into {edges[node]}, which leads back to it; "
                        "merges cannot form a circle: merge them all into one of them",
                    )
                    break
                path.append(node)
                on_path.add(node)
                node = edges[node]
            done.update(path)

    def _check_uids(self, events: list[tuple[int, dict[str, Any]]]) -> None:
        """A uid given twice must describe the same event, in the file and the registry."""
        if not events:
            return
        # Compared only within one import, so Python's own (per-process) hash will do.
        in_batch: dict[str, tuple[int, int, str, str | None, str]] = {}
        for number, body in events:
            uid, digest = body["uid"], hash(_facts(body))
            earlier = in_batch.get(uid)
            if earlier is None:
                in_batch[uid] = (number, digest, body["site"], body["monument"], body["occurred"])
            elif earlier[1] != digest:
                self.fail(
                    number, f"event {uid} was given on line {earlier[0]} with different content"
                )
        uids = list(in_batch)
        marks = ",".join("?" * len(uids))
        for uid, line, digest in self.staging.db.execute(
            f"SELECT uid, line, digest FROM uid WHERE uid IN ({marks})", uids
        ):
            if digest != in_batch[uid][1]:
                self.fail(
                    in_batch[uid][0], f"event {uid} was given on line {line} with different content"
                )
        self.staging.db.executemany(
            "INSERT OR IGNORE INTO uid (uid, line, digest, site, monument, occurred) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(uid, *given) for uid, given in in_batch.items()],
        )
        stored = _stored_events(self.connection, uids)
        if not stored:
            return
        last = {body["uid"]: (number, body) for number, body in events}
        for held in stored:
            number, body = last[held["uid"]]
            wanted = dict(zip(_EVENT_FACTS, _facts(body), strict=True))
            differing = [name for name in _EVENT_FACTS if held[name] != wanted[name]]
            if differing:
                name = differing[0]
                self.fail(
                    number,
                    f"event {held['uid']} is in the registry with a different {name} "
                    f"({held[name]!r}, not {wanted[name]!r}); "
                    "correct the line or give it a new uid",
                )


def _cited_events(
    connection: sa.Connection, uids: Sequence[str]
) -> dict[str, tuple[str, str | None, str]]:
    """The site, monument and date of the events among `uids` the registry holds, by uid:
    of the event a merged one leads to, which its citations go to."""
    events, sites, monuments = EVENT_TABLE, SITE_TABLE, MONUMENT_TABLE
    query = (
        sa.select(
            events.c.id,
            events.c.uid,
            sites.c.slug,
            monuments.c.slug,
            events.c.occurred,
            events.c.merged_into_id,
        )
        .join(sites, sites.c.id == events.c.site_id)
        .outerjoin(monuments, monuments.c.id == events.c.monument_id)
    )
    found: dict[str, tuple[str, str | None, str]] = {}
    ids: dict[str, int] = {}
    merged: dict[str, int] = {}
    for part in chunked(uids):
        for event_id, uid, site, monument, occurred, merged_into in connection.execute(
            query.where(events.c.uid.in_(part))
        ):
            found[uid], ids[uid] = (site, monument, occurred), event_id
            if merged_into is not None:
                merged[uid] = event_id
    if merged:
        live = _live_events(connection, merged.values())
        targets = _cited_events(connection, sorted({uid for _id, uid in live.values()}))
        for uid, event_id in merged.items():
            found[uid] = targets[live[event_id][1]]
    return found


def _stored_sites(connection: sa.Connection, uids: Sequence[str]) -> dict[str, str]:
    """The site slugs of the events among `uids` that the registry holds, by uid."""
    events, sites = EVENT_TABLE, SITE_TABLE
    found: dict[str, str] = {}
    for part in chunked(uids):
        found.update(
            connection.execute(
                sa.select(events.c.uid, sites.c.slug)
                .join(sites, sites.c.id == events.c.site_id)
                .where(events.c.uid.in_(part))
            ).all()
        )
    return found


def _stored_events(connection: sa.Connection, uids: Sequence[str]) -> list[dict[str, Any]]:
    events, sites, monuments = EVENT_TABLE, SITE_TABLE, MONUMENT_TABLE
    rows = connection.execute(
        sa.select(
            events.c.uid,
            sites.c.slug.label("site"),
            monuments.c.slug.label("monument"),
            events.c.cause,
            events.c.damage_level,
            events.c.occurred,
            events.c.actor,
            events.c.description,
        )
        .join(sites, sites.c.id == events.c.site_id)
        .outerjoin(monuments, monuments.c.id == events.c.monument_id)
        .where(among(connection.dialect, events.c.uid, uids))
    )
    return [
        {
            **row._asdict(),
            "cause": row.cause.value,
            "damage_level": row.damage_level.value,
        }
        for row in rows
    ]
