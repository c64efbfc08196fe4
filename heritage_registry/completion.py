"""Shell completion of the `registry` command's values: vocabularies and records' names.

click completes commands and options by itself in bash, zsh and fish (see the README:
`eval "$(_REGISTRY_COMPLETE=bash_source registry)"`). The functions here complete the
values: a vocabulary's values (with their definitions, which zsh and fish show), and the
slugs, keys and uids of the registry that `--db` (or REGISTRY_DATABASE_URL) names.

Completion runs at every press of the tab key, so it must never get in the way: the
database is opened without being created or migrated, and any failure at all (no
registry yet, a server that is down, a bad URL) completes nothing rather than printing
an error into the user's command line. The database stack is imported only when a
record's name is completed, so that completing a vocabulary value stays instant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click
from click.shell_completion import CompletionItem

from heritage_registry.vocab import Vocabulary, canonical

if TYPE_CHECKING:
    from heritage_registry.registry import Registry

Completer = Callable[[click.Context, click.Parameter, str], list[CompletionItem]]

# At most this many uids are offered: a registry may hold millions, and a shell shows
# a screenful. Type more of the uid to narrow them.
UIDS_SHOWN = 50


def vocabulary(values: type[Vocabulary]) -> Completer:
    """Complete a value of `values`, matched the way the registry reads one (any case,
    hyphens for underscores), each with its definition as help."""

    def complete(
        _ctx: click.Context, _param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        begun = canonical(incomplete) if incomplete.strip() else ""
        return [
            CompletionItem(member.value, help=member.definition)
            for member in values
            if member.value.startswith(begun)
        ]

    return complete


def _database(ctx: click.Context) -> str | None:
    """The --db given on the command line being completed; None for the default."""
    db = ctx.find_root().params.get("db")
    return db if isinstance(db, str) else None


@contextmanager
def _registry(ctx: click.Context) -> Iterator[Registry]:
    """The registry being completed against, opened as it is: never created or migrated."""
    from heritage_registry.registry import Registry

    registry = Registry.open(_database(ctx), create=False)
    try:
        yield registry
    finally:
        registry.close()


def _quietly(
    find: Callable[[click.Context, str], list[str]], ctx: click.Context, incomplete: str
) -> list[CompletionItem]:
    """The names `find` gives, as completions; nothing at all on any error."""
    try:
        return [CompletionItem(name) for name in find(ctx, incomplete)]
    except Exception:
        # Completion must never fail in the user's shell: no names is the answer.
        return []


def sites(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Complete a site's slug."""
    return _quietly(_site_slugs, ctx, incomplete)


def sources(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Complete a source's key."""
    return _quietly(_source_keys, ctx, incomplete)


def monuments(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Complete a monument: its slug in the site given before it, else its SITE/SLUG."""
    return _quietly(_monument_names, ctx, incomplete)


def events(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Complete an event's uid from its first characters (at most UIDS_SHOWN of them)."""
    return _quietly(_event_uids, ctx, incomplete)


def _site_slugs(ctx: click.Context, incomplete: str) -> list[str]:
    with _registry(ctx) as registry:
        return [site.slug for site in registry.list_sites() if site.slug.startswith(incomplete)]


def _source_keys(ctx: click.Context, incomplete: str) -> list[str]:
    with _registry(ctx) as registry:
        return [
            source.key for source in registry.list_sources() if source.key.startswith(incomplete)
        ]


def _given(ctx: click.Context, name: str) -> str | None:
    """The value of the parameter `name` given on the line before the word completed.

    While an option's value is completed, click stops parsing at that option: the
    arguments before it are left unassigned in `ctx.args`, in order.
    """
    value = ctx.params.get(name)
    if isinstance(value, str) and value:
        return value
    arguments = [param.name for param in ctx.command.params if isinstance(param, click.Argument)]
    if name in arguments and arguments.index(name) < len(ctx.args):
        return ctx.args[arguments.index(name)]
    return None


def _monument_names(ctx: click.Context, incomplete: str) -> list[str]:
    """The monuments of the site given on the line before (as SITE or --site, or as the
    site of the event UID); else every monument as `SITE/SLUG`."""
    site, uid = _given(ctx, "site"), _given(ctx, "uid")
    with _registry(ctx) as registry:
        if not site and isinstance(uid, str) and uid:
            site = registry.get_event(uid).site
        if isinstance(site, str) and site:
            names = [monument.slug for monument in registry.list_monuments(site=site)]
        else:
            names = [f"{m.site}/{m.slug}" for m in registry.list_monuments()]
    return [name for name in names if name.startswith(incomplete)]


def _event_uids(ctx: click.Context, incomplete: str) -> list[str]:
    """The uids that begin with what is typed, by the uid column's index, in uid order."""
    import sqlalchemy as sa

    from heritage_registry.models import EVENT_TABLE

    prefix = incomplete.strip().lower()
    uid = EVENT_TABLE.c.uid
    query = sa.select(uid).order_by(uid).limit(UIDS_SHOWN)
    if prefix:
        # Every uid is a lower-case UUID, so those beginning with `p` lie in [p, p + "g").
        query = query.where(uid >= prefix, uid < prefix + "g", uid.startswith(prefix))
    with _registry(ctx) as registry, registry.engine.connect() as connection:
        return list(connection.execute(query).scalars())


__all__ = ["UIDS_SHOWN", "events", "monuments", "sites", "sources", "vocabulary"]
