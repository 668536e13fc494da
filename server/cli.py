"""The ``fieldsync`` command line: serve, administer, script a device, deduplicate."""

import importlib
import os
import sys

import click

# Command name -> the module under server.commands that defines it (in its COMMANDS). A
# module is imported only when one of its commands runs (or help lists them): `fieldsync
# dedup` needs neither Flask nor the store, and starts in a third of the time without them.
LAZY_COMMANDS = {
    "backup": "backup", "restore": "backup", "collect": "collect", "dedup": "dedup",
    "demo": "demo", "device": "device", "devices": "admin", "users": "admin",
    "init-db": "serve", "serve": "serve", "reference": "reference", "replica": "replica",
    "settings": "settings_cmd", "taxonomy": "templates", "templates": "templates",
    "units": "units",
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use (click's documented lazy loading)."""

    def __init__(self, *args, lazy: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx):
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx, cmd_name):
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module = importlib.import_module(f"server.commands.{self.lazy[cmd_name]}")
            for command in module.COMMANDS:
                self.add_command(command)
        return super().get_command(ctx, cmd_name)


def _app_config(instance, database) -> dict:
    config = {}
    if instance:
        config["INSTANCE_PATH"] = instance
    if database:
        config["DATABASE"] = database
    return config


@click.group(cls=LazyGroup, lazy=LAZY_COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
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
    ctx.meta["fieldsync.config"] = _app_config(instance, database)
    if ctx.invoked_subcommand not in APP_FREE:
        script_info(ctx)


# Commands that build the app only on some paths (`dedup --rescan`): they start without
# Flask and call ``script_info`` when they need the app.
APP_FREE = {"dedup"}


def script_info(ctx):
    """The ScriptInfo that builds this command line's app (the test runner passes its own)."""
    from flask.cli import ScriptInfo

    root = ctx.find_root()
    if root.obj is None:
        config = root.meta.get("fieldsync.config", {})
        root.obj = ScriptInfo(create_app=lambda: _create_app(config))
    return root.obj


def _create_app(config: dict):
    from server.app import create_app  # only for the commands that use the app

    return create_app(dict(config))


# Set by ``run``, the console script, and never by a test runner that invokes ``main``
# in its own process: only then may a command end the process itself.
STANDALONE = False


def run() -> None:
    """The ``fieldsync`` console script and ``python -m server``."""
    global STANDALONE
    STANDALONE = True
    main()


def exit_now(code: int = 0) -> None:
    """End a standalone command at once, without freeing its objects one by one.

    A batch of 100,000 records leaves millions of small objects; taking them apart costs
    about a second and serves nobody once the output is written. Under a test runner this
    does nothing and the command returns as usual.
    """
    if STANDALONE:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
