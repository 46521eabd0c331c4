"""Real browser, real server: a rep makes an API key on the Account page, the key works over HTTP as that rep
, and revoking it in the browser ends it."""

from __future__ import annotations

import requests
from playwright.sync_api import expect

from tests.e2e.harness import open_page, shot, wait_idle


def test_make_use_and_revoke_a_key(sign_in_as, server):
    page = sign_in_as("rep")
    open_page(page, "Account")
    main = page.locator("[data-testid=stMain]")
    main.get_by_label("Name", exact=True).fill("Zapier")
    main.get_by_role("button", name="Create key").click()
    wait_idle(page)
    code = main.locator("[data-testid=stCode] code").first
    expect(code).to_contain_text("crm_")
    key = code.inner_text().strip()
    expect(main.get_by_text("shown only once")).to_be_visible()
    main.get_by_role("button", name="Revoke").scroll_into_view_if_needed()
    shot(page, "account_api_keys")

    api = f"{server.url}/api/v1"
    head = {"Authorization": f"Bearer {key}"}
    me = requests.get(f"{api}/me", headers=head, timeout=30).json()
    assert me["key"] == {"id": me["key"]["id"], "name": "Zapier", "scope": "read"} and me["user"]["role"] == "rep"
    refused = requests.post(f"{api}/contacts", json={"first_name": "Nope"}, headers=head, timeout=30)
    assert refused.status_code == 403  # the form's default scope is read only

    main.get_by_role("button", name="Revoke").click()
    wait_idle(page)
    expect(main.get_by_role("button", name="Revoke")).to_have_count(0)  # no live key left to revoke
    assert requests.get(f"{api}/me", headers=head, timeout=30).status_code == 401
