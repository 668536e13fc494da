"""``fieldsync settings``: every setting, its environment variable, default and meaning."""

import click

from server.settings import markdown_table


@click.command("settings")
def show_settings():
    """Print every setting as a Markdown table (the same one as docs/configuration.md)."""
    click.echo(markdown_table())


COMMANDS = [show_settings]
