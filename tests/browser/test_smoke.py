import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_director_signs_in_and_sees_home(page, screenshot):
    sign_in(page, "director@mio.example")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Welcome")
    assert page.get_by_role("navigation", name="Main").is_visible()
    screenshot(page, "smoke-home-director")


def test_wrong_password_shows_message(page):
    sign_in(page, "director@mio.example", "not the password")
    assert "Email or password is not correct." in page.content()


def test_phone_navigation_toggle(phone_page, screenshot):
    sign_in(phone_page, "staff.spr@mio.example")
    nav = phone_page.locator("#site-nav")
    assert not nav.is_visible()
    phone_page.get_by_role("button", name="Menu").click()
    assert nav.is_visible()
    screenshot(phone_page, "smoke-home-phone")
