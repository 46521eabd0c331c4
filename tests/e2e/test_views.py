"""Real browser: build a view, save it, reload, find it in the sidebar showing the same figures."""

from db.crm import views
from tests.e2e.harness import eventually, open_page, shot, wait_idle


def test_build_save_reload_and_open_from_the_sidebar(sign_in_as, server, db):
    page = sign_in_as("manager")
    open_page(page, "View builder")
    page.get_by_label("View name").fill("Browser view: deals by stage")
    page.get_by_role("button", name="Save view").click()
    saved = eventually(page, lambda: db.execute("SELECT id, definition FROM saved_views "
                                                "WHERE name = 'Browser view: deals by stage'").fetchone())
    assert saved
    wait_idle(page)
    expected = views.run(db, views.validate(saved["definition"]))
    page.wait_for_timeout(300)
    page.goto(server.url + "/")  # a full reload: signed in again by the cookie
    link = page.locator("[data-testid=stSidebar]").get_by_role("link", name="Browser view: deals by stage")
    link.wait_for()
    link.click()
    wait_idle(page)
    page.get_by_role("heading", name="Browser view: deals by stage").first.wait_for()
    page.wait_for_timeout(800)
    shot(page, "view_builder")
    # the Vega-Lite chart's category axis (drawn as SVG text), once it is drawn
    axis = page.locator("[data-testid=stVegaLiteChart] [aria-label^='X-axis'] .role-axis-label text")
    axis.first.wait_for()
    labels = axis.evaluate_all("els => els.map(e => e.textContent)")
    assert labels and set(labels) <= {r["label"] for r in expected}
