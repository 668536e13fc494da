"""``python -m server`` runs the ``fieldsync`` command line."""

from server.cli import run

run()
