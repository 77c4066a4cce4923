"""Links without an API key: RSVP answers, the calendar file, and landing pages."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from tests.api.conftest import ORGANIZER, World, assert_problem
from tests.driver import driver

rsvp_links = pytest.importorskip("application.links.rsvp_links")
pytest.importorskip("application.links.downloads")


def signature(world: World, invite: UUID) -> str:
    """Return the invite's calendar (download) signature."""
    return world.container.links().calendar_signature(invite)


def landing_signature(world: World, invite: UUID) -> str:
    """Return the invite's landing signature, as its organizer's keys are given it."""
    return world.container.links().landing_signature(invite)


def rsvp_token(world: World, address: str) -> str:
    """Send the invite to ``address``; return the token of its RSVP link."""
    service = driver(world.container)
    world.client.post(
        f"/v1/invites/{world.invite}/recipients",
        headers=world.auth(world.admin),
        json={"address": address},
    )
    links = rsvp_links.RsvpLinks(service.load, service.save, service.outbound)
    return str(links.token(world.invite, address, 0, datetime.now(UTC)))


def test_an_rsvp_link_asks_on_get_and_records_on_post(world: World) -> None:
    token = rsvp_token(world, "ann@example.org")

    asked = world.client.get(f"/v1/rsvp/{token}?answer=accepted")

    assert asked.status_code == 200
    assert asked.headers["content-type"].startswith("text/html")
    assert "Do you want to answer that you accept: the Strokes?" in asked.text
    assert f'<form method="post" action="./{token}">' in asked.text
    assert '<input type="hidden" name="answer" value="accepted">' in asked.text
    assert asked.headers["Referrer-Policy"] == "no-referrer"
    assert statistics(world)["accepted"] == 0

    recorded = world.client.post(f"/v1/rsvp/{token}", data={"answer": "accepted"})

    assert recorded.status_code == 200
    assert "you accept" in recorded.text
    assert "the Strokes" in recorded.text
    assert recorded.headers["Referrer-Policy"] == "no-referrer"
    assert statistics(world)["accepted"] == 1


def test_posting_the_same_answer_again_still_counts_one_answer(world: World) -> None:
    token = rsvp_token(world, "ann@example.org")
    world.client.post(f"/v1/rsvp/{token}", data={"answer": "declined"})

    again = world.client.post(f"/v1/rsvp/{token}", data={"answer": "declined"})

    # A reload of the result page posts again: newest wins, and it is the same answer.
    assert again.status_code == 200
    assert "recorded that you decline" in again.text
    assert statistics(world)["declined"] == 1


def statistics(world: World) -> dict[str, int]:
    """Return the invite's counts by status."""
    response = world.client.get(
        f"/v1/invites/{world.invite}/statistics", headers=world.auth(world.admin)
    )
    by_status: dict[str, int] = response.json()["by_status"]
    return by_status


@pytest.mark.parametrize("answer", ["", "maybe", "<script>"])
def test_an_rsvp_link_without_a_known_answer_is_a_400_page(world: World, answer: str) -> None:
    token = rsvp_token(world, "ann@example.org")
    asked = world.client.get(f"/v1/rsvp/{token}", params={"answer": answer})
    posted = world.client.post(f"/v1/rsvp/{token}", data={"answer": answer})
    for response in (asked, posted):
        assert response.status_code == 400
        assert "<script>" not in response.text
    assert statistics(world)["no answer"] == 1


def test_a_forged_rsvp_link_is_a_400_page_that_echoes_nothing(world: World) -> None:
    asked = world.client.get("/v1/rsvp/<b>forged<b>?answer=declined")
    posted = world.client.post("/v1/rsvp/<b>forged<b>", data={"answer": "declined"})
    for response in (asked, posted):
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("text/html")
        assert "<b>" not in response.text


def test_the_calendar_file_downloads_with_its_signature(world: World) -> None:
    sig = signature(world, world.invite)
    response = world.client.get(f"/v1/invites/{world.invite}/invite.ics", params={"sig": sig})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert response.headers["content-disposition"] == 'attachment; filename="invite.ics"'
    assert response.text.startswith("BEGIN:VCALENDAR")


@pytest.mark.parametrize("sig", [None, "", "wrong", "AAAAAAAAAAAAAAAAAAAAAA"])
def test_the_calendar_file_is_404_without_the_right_signature(
    world: World, sig: str | None
) -> None:
    params = {"sig": sig} if sig is not None else {}
    response = world.client.get(f"/v1/invites/{world.invite}/invite.ics", params=params)
    assert_problem(response, 404)


def test_another_invites_signature_does_not_open_this_one(world: World) -> None:
    sig = signature(world, world.rival_invite)
    response = world.client.get(f"/v1/invites/{world.invite}/invite.ics", params={"sig": sig})
    assert_problem(response, 404)


def landing(world: World, redirect: str | None, address: str = "visitor@example.org") -> object:
    params = {"sig": landing_signature(world, world.invite), "address": address, "name": "Vi"}
    if redirect is not None:
        params["redirect"] = redirect
    return world.client.get(f"/v1/landing/{world.invite}", params=params, follow_redirects=False)


def test_a_landing_request_sends_the_invite_and_answers_a_page(world: World) -> None:
    response = landing(world, None)
    from httpx import Response

    assert isinstance(response, Response)
    assert response.status_code == 200
    assert "on its way to visitor@example.org" in response.text
    stats = world.client.get(
        f"/v1/invites/{world.invite}/statistics", headers=world.auth(world.admin)
    ).json()
    assert stats["by_origin"] == {"landing": 1}


def test_a_landing_request_redirects_to_a_configured_origin(world: World) -> None:
    driver(world.container).registry.set_landing_origins(
        ORGANIZER, ["https://shop.example.com"], now=datetime.now(UTC)
    )
    from httpx import Response

    response = landing(world, "https://shop.example.com/thanks?x=1")
    assert isinstance(response, Response)
    assert response.status_code == 303
    assert response.headers["location"] == "https://shop.example.com/thanks?x=1"


@pytest.mark.parametrize(
    "redirect",
    [
        "https://evil.example.net/",
        "https://shop.example.com.evil.net/",
        "http://shop.example.com/",  # another scheme is another origin
        "https://shop.example.com:8443/",  # and so is another port
        "//evil.example.net/",
        "https://shop.example.com@evil.example.net/",
        "https:\\\\evil.example.net",
        "javascript:alert(1)",
        " https://shop.example.com/",
    ],
)
def test_a_landing_request_never_redirects_elsewhere(world: World, redirect: str) -> None:
    driver(world.container).registry.set_landing_origins(
        ORGANIZER, ["https://shop.example.com"], now=datetime.now(UTC)
    )
    from httpx import Response

    response = landing(world, redirect)
    assert isinstance(response, Response)
    assert response.status_code == 200
    assert "location" not in response.headers
    assert "evil" not in response.text


def test_without_configured_origins_a_landing_request_never_redirects(world: World) -> None:
    from httpx import Response

    response = landing(world, "https://evil.example.net/")
    assert isinstance(response, Response)
    assert response.status_code == 200
    assert "location" not in response.headers


def test_a_landing_request_with_a_bad_signature_sends_nothing(world: World) -> None:
    response = world.client.get(
        f"/v1/landing/{world.invite}", params={"sig": "nope", "address": "visitor@example.org"}
    )
    assert response.status_code == 404
    stats = world.client.get(
        f"/v1/invites/{world.invite}/statistics", headers=world.auth(world.admin)
    ).json()
    assert stats["invited"] == 0


def test_a_landing_request_with_a_bad_address_is_a_400_page_escaping_it(world: World) -> None:
    from httpx import Response

    response = landing(world, None, address="<img src=x onerror=alert(1)>")
    assert isinstance(response, Response)
    assert response.status_code == 400
    assert "<img" not in response.text
    assert "&lt;img" in response.text


def test_the_rsvp_pages_document_no_404_since_links_are_always_set_up(world: World) -> None:
    rsvp = world.client.get("/v1/openapi.json").json()["paths"]["/v1/rsvp/{token}"]
    for operation in rsvp.values():
        assert "404" not in operation["responses"]
        assert "400" in operation["responses"]


def test_the_rsvp_pages_show_when_and_who_but_never_the_recipients_address(
    world: World,
) -> None:
    token = rsvp_token(world, "ann@example.org")

    asked = world.client.get(f"/v1/rsvp/{token}?answer=tentative")
    recorded = world.client.post(f"/v1/rsvp/{token}", data={"answer": "tentative"})

    for page in (asked, recorded):
        assert page.status_code == 200
        # Date, time and zone as the invitation words them, and the organizer's name.
        assert "Thursday 19 March 2015, 23:30" in page.text
        assert "(UTC)" in page.text
        assert "<dt>Organizer</dt><dd>Karim Hamidou</dd>" in page.text
        assert "ann@example.org" not in page.text
        assert "ann%40example.org" not in page.text
    assert "We recorded that you might attend: the Strokes." in recorded.text


def test_the_public_pages_take_their_style_from_the_app_and_no_inline_code(
    world: World,
) -> None:
    token = rsvp_token(world, "ann@example.org")
    page = world.client.get(f"/v1/rsvp/{token}?answer=accepted")
    policy = page.headers["Content-Security-Policy"]

    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "script-src" not in policy
    assert "<style" not in page.text
    assert "style=" not in page.text
    assert "<script" not in page.text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page.text
    assert '<link rel="stylesheet" href="../static/site.css">' in page.text
    sheet = world.client.get("/v1/static/site.css")
    assert sheet.status_code == 200
    assert sheet.headers["content-type"].startswith("text/css")
    assert "prefers-color-scheme: dark" in sheet.text
    assert ":focus-visible" in sheet.text
    assert "/v1/static/site.css" not in world.client.get("/v1/openapi.json").text


def test_a_landing_page_has_the_same_look(world: World) -> None:
    signed = landing_signature(world, world.invite)
    page = world.client.get(
        f"/v1/landing/{world.invite}", params={"sig": signed, "address": "new@example.org"}
    )

    assert page.status_code == 200
    assert '<link rel="stylesheet" href="../static/site.css">' in page.text
    assert "style-src 'self'" in page.headers["Content-Security-Policy"]
