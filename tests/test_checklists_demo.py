"""The demo data is filled on the shipped diagnosis template and obstacle taxonomy."""

import json

from sync.taxonomy import default_taxonomy, validate_taxonomy
from sync.templates import default_template, validate_definition


def test_demo_uses_the_shipped_template_and_taxonomy(runner, db):
    template, taxonomy = default_template(), default_taxonomy()
    assert validate_definition(template) == [] and validate_taxonomy(taxonomy) == []
    assert runner.invoke(args=["demo"]).exit_code == 0

    stored = db.execute("SELECT definition FROM templates WHERE code = 'diagnosis' AND version = 1").fetchone()[0]
    assert json.loads(stored) == template
    assert json.loads(db.execute("SELECT document FROM taxonomies ORDER BY version DESC").fetchone()[0]) == taxonomy
    used = {tuple(r) for r in db.execute("SELECT DISTINCT template_code, template_version FROM visits")}
    assert used == {("diagnosis", 1)}
    # Every recorded obstacle names codes of the shipped taxonomy, across its four areas.
    groups = {g["code"]: a["code"] for a in taxonomy["areas"] for g in a["groups"]}
    recorded = db.execute("SELECT area, group_code, severity, responsible_body FROM visit_obstacles").fetchall()
    assert recorded and all(groups[group] == area for area, group, _, _ in recorded)
    assert {severity for _, _, severity, _ in recorded} <= {s["code"] for s in taxonomy["severities"]}
    assert {body for *_, body in recorded} <= {b["code"] for b in taxonomy["responsible_bodies"]} | {None}
    assert len({area for area, *_ in recorded}) == 4
