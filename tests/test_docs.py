"""Docs kept honest by tests: routes in the OpenAPI spec, CLI commands and settings documented."""

import re
from pathlib import Path

import click

from server.cli import main
from server.settings import SETTINGS, markdown_table

DOCS = Path(__file__).parent.parent / "docs"


def api_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                yield path, method.lower()


def test_every_api_route_is_in_the_served_openapi_spec(app, client):
    spec = client.get("/api/openapi.json").get_json()
    missing = [(p, m) for p, m in api_routes(app) if m not in spec["paths"].get(p, {})]
    assert missing == []
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_protected_operations_declare_bearer_security(app, client):
    spec = client.get("/api/openapi.json").get_json()
    public = {("/api/v1/health", "get"), ("/api/v1/auth/login", "post")}
    for path, method in api_routes(app):
        if (path, method) not in public:
            assert spec["paths"][path][method].get("security") == [{"bearerAuth": []}], (path, method)


def test_every_view_declares_an_access_rule(app):
    missing = [rule.rule for rule in app.url_map.iter_rules()
               if rule.endpoint not in ("static",) and not rule.endpoint.startswith("api-docs")
               and not hasattr(app.view_functions[rule.endpoint], "access_rule")]
    assert missing == []


def all_commands(group, prefix="fieldsync"):
    # list_commands/get_command, not .commands: the top group imports its commands lazily
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, f"{prefix} {name} is listed but cannot be loaded"
        full = f"{prefix} {name}"
        yield full, command
        if isinstance(command, click.Group):
            yield from all_commands(command, full)


def test_every_cli_command_has_help_and_is_documented():
    cli_doc = (DOCS / "cli.md").read_text()
    for full, command in all_commands(main):
        assert (command.help or "").strip(), f"{full} has no help"
        assert f"`{full}" in cli_doc, f"{full} is not in docs/cli.md"


def test_every_cli_command_answers_help():
    from click.testing import CliRunner

    runner = CliRunner()
    for full, _command in all_commands(main):
        result = runner.invoke(main, full.split()[1:] + ["--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, full


def test_every_setting_is_documented():
    doc = (DOCS / "configuration.md").read_text()
    for setting in SETTINGS:
        assert f"`FIELDSYNC_{setting.name}`" in doc, setting.name
        assert setting.help and setting.help.endswith(".")
    assert markdown_table() in doc, "docs/configuration.md is out of date: paste `fieldsync settings`"


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    from server import create_app

    monkeypatch.setenv("FIELDSYNC_PULL_PAGE_SIZE", "77")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["PULL_PAGE_SIZE"] == 77
    assert create_app({"INSTANCE_PATH": str(tmp_path), "PULL_PAGE_SIZE": 5}).config["PULL_PAGE_SIZE"] == 5


def test_the_lazy_command_table_names_every_command_of_every_module():
    import importlib
    import pkgutil

    import server.commands
    from server.cli import LAZY_COMMANDS

    found = {}
    for module in pkgutil.iter_modules(server.commands.__path__):
        for command in getattr(importlib.import_module(f"server.commands.{module.name}"), "COMMANDS", []):
            found[command.name] = module.name
    assert found == LAZY_COMMANDS
