"""Every capability has exactly the power its name says: a download signature downloads, a
landing signature sends (once per mailbox, never a cancellation), an upload is never mail, and
an RSVP link's page shows the answer, not whose it is."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parseaddr
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import pytest
from httpx import Response

from adapters.mail.outbox import OutboxFolderMailer
from application.links.rsvp_links import RsvpLinks
from tests.api.conftest import SEQ0, World
from tests.driver import driver


def detail(world: World, token: str) -> dict[str, object]:
    """Return the invite's summary as ``token`` reads it."""
    response = world.client.get(f"/v1/invites/{world.invite}", headers=world.auth(token))
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def sig_of(url: object) -> str:
    """Return the ``sig`` query parameter of a signed link."""
    assert isinstance(url, str)
    (sig,) = parse_qs(urlsplit(url).query)["sig"]
    return sig


def land(world: World, sig: str, address: str, invite: UUID | None = None) -> Response:
    """Ask for the invite at ``address`` the way a landing page's form does."""
    response: Response = world.client.get(
        f"/v1/landing/{invite or world.invite}",
        params={"sig": sig, "address": address, "name": "Visitor"},
        follow_redirects=False,
    )
    return response


def invitations(world: World) -> list[str]:
    """Return the recipients of every invitation (not notice) in the outbox, in order."""
    outbox = OutboxFolderMailer(world.container.settings().outbox_path)
    return sorted(parseaddr(entry.to)[1] for entry in outbox.entries() if entry.method)


# -- 1. the download signature downloads and nothing else ---------------------------------------


def test_the_download_signature_every_reader_sees_sends_nothing(world: World) -> None:
    calendar = sig_of(detail(world, world.gmail)["calendar_url"])

    response = land(world, calendar, "stranger@example.org")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert invitations(world) == []


def test_only_those_who_may_send_get_the_landing_link(world: World) -> None:
    for token in (world.organizer, world.admin):
        body = detail(world, token)
        assert body["calendar_url"] is not None
        landing = body["landing_url"]
        assert isinstance(landing, str)
        assert landing.startswith(f"http://testserver/v1/landing/{world.invite}?sig=")
        assert sig_of(landing) != sig_of(body["calendar_url"])
    reader = detail(world, world.gmail)  # a domain key reads the invite but may not send it
    assert reader["calendar_url"] is not None
    assert reader["landing_url"] is None


def test_the_landing_link_sends_and_downloads_nothing(world: World) -> None:
    landing = sig_of(detail(world, world.organizer)["landing_url"])

    sent = land(world, landing, "visitor@example.org")
    download = world.client.get(f"/v1/invites/{world.invite}/invite.ics", params={"sig": landing})

    assert sent.status_code == 200
    assert "on its way to visitor@example.org" in sent.text
    assert invitations(world) == ["visitor@example.org"]
    assert download.status_code == 404


def test_a_landing_signature_opens_only_its_own_invite(world: World) -> None:
    landing = sig_of(detail(world, world.organizer)["landing_url"])

    response = land(world, landing, "visitor@example.org", invite=world.rival_invite)

    assert response.status_code == 404
    assert invitations(world) == []


# -- 2. one landing invitation per mailbox, however the address is spelled ----------------------


def test_a_mailbox_gets_one_landing_invitation_however_its_address_is_spelled(
    world: World,
) -> None:
    landing = sig_of(detail(world, world.organizer)["landing_url"])
    spellings = ["Ann.Lee+promo@Gmail.com", "annlee+other@gmail.com", "A.N.N.L.E.E@gmail.com"]

    pages = [land(world, landing, address) for address in spellings]
    again = land(world, landing, "ann.lee+promo@gmail.com")  # the first spelling, once more

    assert [page.status_code for page in pages] == [200, 200, 200]
    # Every visitor sees the same page: it must not tell who else asked.
    assert all("On its way" in page.text for page in pages)
    assert again.status_code == 200
    # The one invitation went to the address as it was given (in lower case, as every address).
    assert invitations(world) == ["ann.lee+promo@gmail.com"]


def test_tags_count_as_names_where_the_provider_does_not_ignore_them(world: World) -> None:
    landing = sig_of(detail(world, world.organizer)["landing_url"])

    for address in ("bob+one@example.org", "bob+two@example.org", "Bob+One@Example.org"):
        assert land(world, landing, address).status_code == 200

    assert invitations(world) == ["bob+one@example.org", "bob+two@example.org"]


# -- 3. a cancelled invite is sent to no one who asks ------------------------------------------


def test_a_landing_request_for_a_cancelled_invite_sends_nothing(world: World) -> None:
    landing = sig_of(detail(world, world.organizer)["landing_url"])
    cancelled = world.client.post(
        f"/v1/invites/{world.invite}/cancel", headers=world.auth(world.organizer)
    )
    assert cancelled.json()["outcome"] == "cancelled"

    response = land(world, landing, "stranger@example.org")

    assert response.status_code == 410
    assert response.headers["content-type"].startswith("text/html")
    assert "cancelled" in response.text
    assert invitations(world) == []


# -- 4. an uploaded list is never received mail -------------------------------------------------


def test_an_uploaded_list_is_never_ingested_by_recovery(world: World) -> None:
    cancel = (
        SEQ0.read_text(encoding="utf-8")
        .replace("METHOD:REQUEST", "METHOD:CANCEL")
        .replace("SEQUENCE:0", "SEQUENCE:5")
        .replace("STATUS:CONFIRMED", "STATUS:CANCELLED")
        .encode("utf-8")
    )
    uploaded = world.client.post(
        f"/v1/invites/{world.invite}/bulk",
        headers=world.auth(world.organizer),
        files={"file": ("guests.csv", cancel, "text/csv")},
    )
    assert uploaded.status_code == 201, uploaded.text
    upload = uploaded.json()["upload_id"]
    service = driver(world.container)

    reingested = dict(service.reingest(now=datetime.now(UTC)))

    assert upload not in reingested
    assert all(result.outcome.value != "cancelled" for result in reingested.values())
    assert service.show(str(world.invite)).status == "confirmed"


def test_an_uploaded_list_is_still_there_to_confirm(world: World) -> None:
    auth = world.auth(world.organizer)
    csv = b"email,name\ncarol@example.org,Carol\n"
    preview = world.client.post(
        f"/v1/invites/{world.invite}/bulk", headers=auth, files={"file": ("list.csv", csv)}
    ).json()

    confirmed = world.client.post(
        preview["confirm_url"], headers=auth, json={"confirmation": preview["confirmation"]}
    )

    assert confirmed.status_code == 200, confirmed.text
    assert invitations(world) == ["carol@example.org"]


# -- 6. an RSVP link's pages show the answer, not whose it is -----------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_rsvp_page_shows_the_title_and_answer_but_not_the_address(
    world: World, method: str
) -> None:
    address = "dana.private@example.org"
    world.client.post(
        f"/v1/invites/{world.invite}/recipients",
        headers=world.auth(world.admin),
        json={"address": address},
    )
    service = driver(world.container)
    assert service.outbound is not None
    links = RsvpLinks(service.load, service.save, service.outbound)
    token = links.token(world.invite, address, 0, datetime.now(UTC))

    if method == "GET":
        page = world.client.get(f"/v1/rsvp/{token}", params={"answer": "accepted"})
    else:
        page = world.client.post(f"/v1/rsvp/{token}", data={"answer": "accepted"})

    assert page.status_code == 200
    assert "the Strokes" in page.text
    assert "accept" in page.text
    assert "dana" not in page.text.lower()
    assert "example.org" not in page.text
