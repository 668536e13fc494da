"""``fieldsync device …``: script a phone from the shell with the reference client."""

import json

import click
import marshmallow

from schemas.units import UnitFieldsSchema
from sync.client import Device, HttpTransport, NeedsLogin, ServerError, TransportError


def _value(text: str):
    """Field values on the command line: JSON when it parses (numbers, null, objects), else text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


# Unit fields the server takes as text: a legal id, a licence number or a phone made only of
# digits must stay text, not become a JSON number the server refuses.
_UNIT_TEXT = frozenset(name for name, field in UnitFieldsSchema().fields.items()
                       if isinstance(field, marshmallow.fields.String))


def _pairs(items, text_keys=frozenset()) -> dict:
    fields = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE.")
        fields[key] = (None if value == "null" else value) if key in text_keys else _value(value)
    return fields


@click.group("device")
@click.option("--state", "state_path", default="device.sqlite", show_default=True,
              type=click.Path(dir_okay=False), help="The device's local SQLite file.")
@click.pass_context
def device_group(ctx, state_path):
    """Act as an engineer's device: register, record offline, sync, inspect."""
    ctx.meta["device.state"] = state_path


def _device(ctx) -> Device:
    device = Device(ctx.meta["device.state"])
    server = device._get("server")
    if server:
        device.transport = HttpTransport(server)
    return device


def _server_call(fn):
    try:
        return fn()
    except (ServerError, TransportError, NeedsLogin) as error:
        raise click.ClickException(str(error)) from error


@device_group.command("register")
@click.argument("server")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, help="Prompted for when omitted.")
@click.option("--label", default="", help="A name for this device, shown to admins.")
@click.pass_context
def register(ctx, server, username, password, label):
    """Log in to SERVER (e.g. http://127.0.0.1:5000) as USERNAME, registering this device."""
    device = _device(ctx)
    device._set("server", server)
    device.transport = HttpTransport(server)
    user = _server_call(lambda: device.login(username, password, label))
    click.echo(f"Device {device.device_id} registered to {user['username']} ({user['role']}), "
               f"provinces {user['provinces']}.")


@device_group.command("create-unit")
@click.option("--name", required=True, help="Unit name as the engineer types it.")
@click.option("--province", type=int, required=True, help="Province id.")
@click.option("--field", "fields", multiple=True, metavar="KEY=VALUE",
              help="Another unit field, e.g. national_id=10101234567 or employees=12 (repeatable). "
                   "Text fields (ids, phone, address…) are taken as typed, `null` clears; numbers "
                   "and location parse as JSON: location='{\"lat\":35.7,\"lon\":51.4}'.")
@click.pass_context
def create_unit(ctx, name, province, fields):
    """Record a new unit offline; prints its id."""
    unit_id = _device(ctx).create_unit({"name": name, "province_id": province, **_pairs(fields, _UNIT_TEXT)})
    click.echo(unit_id)


@device_group.command("update-unit")
@click.argument("unit_id")
@click.option("--field", "fields", multiple=True, required=True, metavar="KEY=VALUE",
              help="A changed field (repeatable); values as in create-unit --field.")
@click.pass_context
def update_unit(ctx, unit_id, fields):
    """Record an edit of some fields of UNIT_ID offline."""
    mutation_id = _device(ctx).update_unit(unit_id, _pairs(fields, _UNIT_TEXT))
    click.echo(f"Queued mutation {mutation_id}.")


@device_group.command("record-visit")
@click.argument("unit_id")
@click.option("--answers-file", type=click.File(encoding="utf-8"), metavar="JSON_FILE",
              help="The checklist answers as a JSON object (question key -> answer).")
@click.option("--answer", "answers", multiple=True, metavar="KEY=VALUE",
              help="A checklist answer, added to (or overriding) --answers-file (repeatable). The value "
                   "parses as JSON when it can (3, true, [\"a\"]); quote text that looks like a number: "
                   "code='\"123\"'.")
@click.option("--obstacle", "obstacles", multiple=True, metavar="JSON",
              help='An obstacle, e.g. \'{"area":"finance","group":"finance.working_capital",'
                   '"severity":"high","description":"…"}\' (repeatable).')
@click.option("--template", default="diagnosis:1", show_default=True, metavar="CODE:VERSION",
              help="The template version the visit was filled with.")
@click.pass_context
def record_visit(ctx, unit_id, answers_file, answers, obstacles, template):
    """Record a visit to UNIT_ID offline; prints its id. The server validates the answers
    against the template version when the device syncs."""
    code, _, version = template.partition(":")
    try:
        template_ref = {"code": code, "version": int(version or 1)}
        recorded = json.load(answers_file) if answers_file else {}
        parsed = [json.loads(o) for o in obstacles]
    except ValueError as error:
        raise click.BadParameter(f"not understood: {error}") from error
    if not isinstance(recorded, dict):
        raise click.BadParameter("--answers-file must hold a JSON object.")
    visit_id = _device(ctx).record_visit(unit_id, {**recorded, **_pairs(answers)}, parsed, template=template_ref)
    click.echo(visit_id)


@device_group.command("sync")
@click.pass_context
def sync(ctx):
    """Push the outbox, then pull every change in scope."""
    device = _device(ctx)
    if device.transport is None:
        raise click.ClickException("Register the device first (fieldsync device register …).")
    summary = _server_call(device.sync)
    click.echo(f"Pushed {summary['pushed']} mutation(s) ({', '.join(summary['statuses']) or '-'}); "
               f"pulled {summary['pages']} page(s).")


@device_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print the whole local state as JSON.")
@click.pass_context
def show(ctx, as_json):
    """Show the device's local state: outbox, units, visits, redirects, rejections."""
    device = _device(ctx)
    state = {"device_id": device.device_id, "outbox": device.outbox_size(), "units": device.units(),
             "visits": device.visits(), "redirects": device.redirects(), "rejected": device.rejected()}
    if as_json:
        click.echo(json.dumps(state, ensure_ascii=False, indent=2))
        return
    click.echo(f"device {state['device_id']}: {state['outbox']} queued, {len(state['units'])} units, "
               f"{len(state['visits'])} visits, {len(state['redirects'])} redirects, "
               f"{len(state['rejected'])} rejected")
    for unit in state["units"].values():
        click.echo(f"  unit {unit['id']}  {unit.get('name')}  status={unit.get('status')}")
    for visit in state["visits"].values():
        click.echo(f"  visit {visit['id']}  unit={visit['unit_id']}  review={visit.get('review_state')}")


COMMANDS = [device_group]
