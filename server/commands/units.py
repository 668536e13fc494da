"""``fieldsync units import``: load a spreadsheet of units, deduplicated against the store."""

import json
import sys

import click
from flask.cli import AppGroup, with_appcontext

from server.commands.admin import run_domain
from server.db import get_db, now
from sync import importing

units_group = AppGroup("units", help="Import units from agency spreadsheets.")


@units_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_units(path):
    """Load PATH (.jsonl, .csv or .xlsx; batch-mode keys such as name, national_id, province,
    city, park, phone…) into the store. Each row is matched like a pushed unit: sure duplicates
    are merged into the unit already there, likely ones queued for a supervisor."""
    def run():
        rows = list(importing.read_records(path))
        with click.progressbar(length=len(rows), label="Importing", file=sys.stderr) as bar:
            return importing.import_units(get_db(), rows, now(), progress=bar.update)

    summary = run_domain(run)
    click.echo(f"Rows: {summary['rows']}; created {summary['created']} units, of which {summary['merged']} "
               f"merged into existing units and {summary['queued']} queued for review; "
               f"rejected {summary['rejected']}.")
    for error in summary["errors"][:20]:
        click.echo(f"  line {error['line']}: {json.dumps(error['error'], ensure_ascii=False)}", err=True)
    if len(summary["errors"]) > 20:
        click.echo(f"  … and {len(summary['errors']) - 20} more", err=True)


COMMANDS = [units_group]
