"""Commands that forgive a wrong option: the one it most likely meant is named.

Light on purpose (click alone): the top-level group makes its subgroups' commands of
this class, and `registry --help` imports it.
"""

from __future__ import annotations

import click

# Options people reach for by another name, each with the real options it may mean: the
# first that the command has is suggested (`--date` is add-event's --occurred and
# add-source's --published). Click's own suggestions (close spellings) cover the rest.
_EVENT_DATES = ("--occurred", "--published", "--claimed-occurred", "--since")
_LEVELS = ("--level", "--claimed-level")
OPTION_SYNONYMS: dict[str, tuple[str, ...]] = {
    "--date": _EVENT_DATES,
    "--when": _EVENT_DATES,
    "--on": _EVENT_DATES,
    "--time": _EVENT_DATES,
    "--severity": _LEVELS,
    "--damage": _LEVELS,
    "--damage-level": _LEVELS,
    "--type": ("--kind",),
    "--kind": ("--type",),
    "--source-type": ("--type",),
    "--publication-date": ("--published",),
    "--from": ("--since",),
    "--after": ("--since",),
    "--to": ("--until",),
    "--before": ("--until",),
    "--text": ("--quote",),
    "--excerpt": ("--quote",),
    "--file": ("--quote-file",),
    "--title": ("--name",),
    "--name": ("--title",),
    "--country-code": ("--country",),
    "--latitude": ("--lat",),
    "--longitude": ("--lon",),
    "--lng": ("--lon",),
    "--unesco": ("--unesco-id",),
    "--whc": ("--unesco-id",),
    "--qid": ("--wikidata",),
    "--lang": ("--language",),
    "--perpetrator": ("--actor",),
    "--why": ("--reason",),
    "--message": ("--reason",),
    "--user": ("--by",),
    "--origin": ("--via",),
    "--out": ("--output",),
}


class ForgivingCommand(click.Command):
    """A command that names the one option an unknown one most likely meant, and refuses
    empty values.

    `--date` is "No such option '--date'. Did you mean '--occurred'?" (`OPTION_SYNONYMS`),
    `--ocurred` the same by its spelling (the closest, where click lists every close
    one); a required option given as '' (`--publisher ''`) is refused naming the option,
    not taken for a value.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            rest = super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            root = ctx.find_root()
            named = [p for p in root.command.params if exc.option_name in p.opts]
            if root is not ctx and named:
                # A global option (--quiet, --db URL) given after the command.
                option = exc.option_name
                if isinstance(named[0], click.Option) and named[0].metavar:
                    option += f" {named[0].metavar}"
                command = ctx.command_path.partition(" ")[2]
                raise click.NoSuchOption(
                    exc.option_name,
                    message=f"{exc.option_name} is an option of registry itself: give it "
                    f"before the command, as in: registry {option} {command} ...",
                    ctx=ctx,
                ) from None
            meant = self._meant(ctx, exc.option_name)
            if meant is None:
                raise
            raise click.NoSuchOption(
                exc.option_name,
                message=f"No such option {exc.option_name!r}. Did you mean {meant!r}?",
                ctx=ctx,
            ) from None
        for param in self.params:
            value = ctx.params.get(param.name or "")
            blank = isinstance(value, str) and not value.strip()
            if isinstance(param, click.Option) and param.required and blank:
                raise click.BadParameter("must not be empty; give a value", ctx, param)
        return rest

    def _meant(self, ctx: click.Context, option: str) -> str | None:
        import difflib

        known = [name for param in self.get_params(ctx) for name in param.opts]
        synonym = next((meant for meant in OPTION_SYNONYMS.get(option, ()) if meant in known), None)
        close = difflib.get_close_matches(option, [name for name in known if name[:2] == "--"], 1)
        return synonym or (close[0] if close else None)


__all__ = ["OPTION_SYNONYMS", "ForgivingCommand"]
