"""The ``fieldsync`` command line: serve, administer, script a device, deduplicate."""

import importlib.util

import click
from flask.cli import ScriptInfo

from server.commands import (
    admin,
    backup,
    collect,
    demo,
    device,
    reference,
    replica,
    serve,
    settings_cmd,
    templates,
    units,
)


def _app_config(instance, database) -> dict:
    config = {}
    if instance:
        config["INSTANCE_PATH"] = instance
    if database:
        config["DATABASE"] = database
    return config


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--instance", type=click.Path(file_okay=False), envvar="FIELDSYNC_INSTANCE_PATH",
              help="Instance folder (database, secret key, attachments). Env: FIELDSYNC_INSTANCE_PATH.")
@click.option("--db", "database", type=click.Path(dir_okay=False), envvar="FIELDSYNC_DATABASE",
              help="SQLite database file. Env: FIELDSYNC_DATABASE.")
@click.version_option(package_name="fieldsync")
@click.pass_context
def main(ctx, instance, database):
    """fieldsync: offline-first sync backend for field diagnosis surveys of industrial units.

    Run `fieldsync COMMAND --help` for each command; docs/cli.md describes them all.
    """
    config = _app_config(instance, database)
    ctx.meta["fieldsync.config"] = config
    if ctx.obj is None:  # the test runner passes its own app in a ScriptInfo
        from server.app import create_app

        ctx.obj = ScriptInfo(create_app=lambda: create_app(dict(config)))


for module in (serve, admin, demo, reference, device, settings_cmd, templates, units, backup, collect, replica):
    for command in module.COMMANDS:
        main.add_command(command)

if importlib.util.find_spec("server.commands.dedup"):  # the dedup engine's command, once built
    from server.commands.dedup import dedup

    main.add_command(dedup)
