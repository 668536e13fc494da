"""Console pages render with the store's data: units, visits, review actions, admin, dashboard."""

import pytest

from tests.test_console_helpers import ConsoleUser, seed_console


@pytest.fixture
def seeded(app, db, clock, client, tmp_path):
    return seed_console(app, db, clock, client, tmp_path)


def test_every_staff_page_renders(client, seeded):
    sara = ConsoleUser(client, "sara")
    for path in ("/console/", "/console/queue", "/console/units", "/console/dashboard", "/console/exports",
                 f"/console/units/{seeded.units['نساجی البرز']}", f"/console/visits/{seeded.visits['نساجی البرز']}"):
        html = sara.page(path)
        assert '<html lang="fa" dir="rtl">' in html
