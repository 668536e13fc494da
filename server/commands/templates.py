"""``fieldsync templates …`` and ``fieldsync taxonomy …``: the same write path as the API."""

import json

import click
from flask.cli import AppGroup, with_appcontext

from server.commands.admin import run_domain
from server.db import get_db, now
from sync import checklists
from sync.errors import DomainError
from sync.store import write
from sync.taxonomy import default_taxonomy
from sync.templates import read_document

templates_group = AppGroup("templates", help="Upload, publish, retire and list checklist templates.")
taxonomy_group = AppGroup("taxonomy", help="Show or replace the obstacle taxonomy.")


def _read(path: str):
    try:
        return read_document(path)
    except (ValueError, UnicodeDecodeError, OSError) as error:
        raise click.ClickException(f"Cannot read {path}: {error}") from error


def _listed(error: DomainError) -> str:
    """The error's message and, one line each, the problems it lists by field (a template
    file can have dozens; a JSON object on one line is unreadable in a terminal)."""
    fields = (error.details or {}).get("fields") or {}
    lines = [f"  {path}: {message}" for path, messages in fields.items() for message in messages]
    return "\n".join([error.message, *lines])


def _in_write(fn):
    """Run ``fn(tx)`` in one write transaction; domain errors become clear CLI errors."""
    def run():
        try:
            with write(get_db(), now()) as tx:
                return fn(tx)
        except DomainError as error:
            if not (error.details or {}).get("fields"):
                raise
            raise click.ClickException(_listed(error)) from error

    return run_domain(run)


def _line(t: dict) -> str:
    dates = ", ".join(f"{k.split('_')[0]} {t[k]}" for k in ("published_at", "retired_at") if t.get(k))
    return f"{t['code']} v{t['version']}  {t['status']:<9}  {t['title']}" + (f"  ({dates})" if dates else "")


@templates_group.command("upload")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--publish", is_flag=True, help="Publish the version at once instead of keeping a draft.")
@with_appcontext
def upload(path, publish):
    """Upload the template in PATH (.json, .yaml or .yml) as a draft, or replace a draft.

    The file's `code` and `version` name it; a new version must be numbered above every
    published one. Every problem in the file is listed with its path.
    """
    template = _in_write(lambda tx: checklists.save_template(tx, _read(path), publish=publish))
    click.echo(f"Saved {_line(template)}")


@templates_group.command("publish")
@click.argument("code")
@click.argument("version", type=int)
@with_appcontext
def publish(code, version):
    """Publish draft VERSION of template CODE: devices get it on their next sync."""
    click.echo(f"Published {_line(_in_write(lambda tx: checklists.publish_template(tx, code, version)))}")


@templates_group.command("retire")
@click.argument("code")
@click.argument("version", type=int)
@with_appcontext
def retire(code, version):
    """Retire published VERSION of template CODE (visits already filled on it stay valid)."""
    click.echo(f"Retired {_line(_in_write(lambda tx: checklists.retire_template(tx, code, version)))}")


@templates_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include drafts and retired versions.")
@with_appcontext
def list_templates(show_all):
    """List template versions (published ones unless --all)."""
    statuses = ("draft", "published", "retired") if show_all else ("published",)
    for template in checklists.list_templates(get_db(), statuses):
        click.echo(_line(template))


@templates_group.command("show")
@click.argument("code")
@click.argument("version", type=int, required=False)
@with_appcontext
def show(code, version):
    """Print template CODE (VERSION, or the latest published one) as JSON."""
    template = run_domain(lambda: checklists.get_template(get_db(), code, version, include_drafts=True))
    click.echo(json.dumps(template["definition"], ensure_ascii=False, indent=2))


@templates_group.command("import-xlsform")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--publish", is_flag=True, help="Publish the version at once instead of keeping a draft.")
@click.option("--code", help="The template's code (default: the form_id of the settings sheet).")
@click.option("--version", "version", type=int, help="The version (default: the settings sheet's version).")
@with_appcontext
def import_xlsform(path, publish, code, version):
    """Read the XLSForm in PATH (.xlsx) into a template, as a draft (or published).

    Only what a template can hold is accepted: groups as sections; text, integer,
    decimal, date, geopoint, note, select_one / select_multiple (select_one _fs_yes_no for
    yes/no) and a repeat of one image for a photo question; required, hints, relevant as
    `${q} = value` or `selected(${q}, value)` joined with `or`, constraints as ranges.
    Anything else (calculate, other XPath, other types) is refused with its sheet row named.
    """
    from sync.odk import xforms

    with open(path, "rb") as handle:
        data = handle.read()
    template = _in_write(lambda tx: checklists.save_template(
        tx, xforms.template_from_xlsx(data, code, version), publish=publish))
    click.echo(f"Saved {_line(template)}")


@templates_group.command("export-xlsform")
@click.argument("code")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.option("--version", "version", type=int, help="The version (default: the latest published one).")
@with_appcontext
def export_xlsform(code, out, version):
    """Write template CODE as the XLSForm of its Collect form to OUT (.xlsx)."""
    from sync.odk import xforms

    db = get_db()
    template = run_domain(lambda: checklists.get_template(db, code, version, include_drafts=True))
    taxonomy = checklists.current_taxonomy(db) or {"taxonomy": default_taxonomy()}
    with open(out, "wb") as handle:
        handle.write(xforms.xlsx_of(template["definition"], taxonomy["taxonomy"]))
    click.echo(f"Wrote {out} ({template['code']} v{template['version']}).")


@taxonomy_group.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False), required=False)
@with_appcontext
def load_taxonomy(path):
    """Replace the taxonomy by PATH (.json/.yaml), or load the shipped starter taxonomy.

    The new document's version must be above the current one; codes that recorded
    obstacles use cannot be dropped.
    """
    doc = _read(path) if path else default_taxonomy()
    result = _in_write(lambda tx: checklists.load_taxonomy(tx, doc))
    state = "Loaded" if result["changed"] else "Unchanged:"
    click.echo(f"{state} obstacle taxonomy version {result['version']} "
               f"({len(result['taxonomy']['areas'])} areas).")


@taxonomy_group.command("show")
@with_appcontext
def show_taxonomy():
    """Print the taxonomy in force as JSON."""
    current = checklists.current_taxonomy(get_db())
    if current is None:
        raise click.ClickException("No taxonomy is loaded; run `fieldsync taxonomy load`.")
    click.echo(json.dumps(current["taxonomy"], ensure_ascii=False, indent=2))


COMMANDS = [templates_group, taxonomy_group]
