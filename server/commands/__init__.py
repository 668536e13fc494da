"""Command groups of the ``fieldsync`` CLI, one module per concern."""
