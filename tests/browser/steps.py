"""Steps the browser tests share: logging in through the form, reading the page."""

import re

DEMO_PASSWORD = "fieldsync-demo"  # server/commands/demo.py prints it; the tests log in with it
PERSIAN_DATE = re.compile(r"[۰-۹]{4}/[۰-۹]{2}/[۰-۹]{2}")


def console_login(page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(page.base_url + "/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/$"))


def assert_persian_page(page) -> None:
    """Right to left, Persian, with Jalali dates in Persian digits."""
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.get_attribute("html", "lang") == "fa"
