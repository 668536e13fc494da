"""``fieldsync reference load``: provinces, cities, parks from a file."""

import click
from flask.cli import AppGroup, with_appcontext

from server.commands.admin import run_domain
from server.db import get_db, now
from sync import reference
from sync.store import write

reference_group = AppGroup("reference", help="Load reference data (provinces, cities, parks).")


@reference_group.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False), required=False)
@with_appcontext
def load(path):
    """Load PATH (JSON with provinces, cities, parks), or the shipped data when PATH is omitted."""
    def run():
        doc = reference.read_reference_file(path) if path else reference.shipped_reference()
        with write(get_db(), now()) as tx:
            return reference.load_reference(tx, doc)

    counts = run_domain(run)
    click.echo("Changed: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


COMMANDS = [reference_group]
