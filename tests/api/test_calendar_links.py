"""Add-to-calendar links: each URL decoded and its instants compared with the invite's, the
landing page that lists them, the counting redirect, and the principals' API.

Invites are ingested as organizers' calendar files through the real composition root, so the
times the links carry are the ones the parser computed (IANA and custom zones alike).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import pytest
from httpx import Response

from application.links.calendar_links import MAX_URL
from tests.api.conftest import ORGANIZER, World, ingest

# An organizer's own zone that no IANA zone matches (+01:15 in winter, +02:15 in summer):
# the server keeps and computes it itself (adapters/zone_definitions.py, zone_tables.py).
CUSTOM_ZONE = """BEGIN:VTIMEZONE
TZID:{tzid}
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0215
TZOFFSETTO:+0115
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0115
TZOFFSETTO:+0215
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
"""


def calendar(uid: str, event: str, zone: str = "") -> bytes:
    """Return an organizer's REQUEST with one VEVENT made of ``event``'s lines."""
    text = (
        "BEGIN:VCALENDAR\nPRODID:-//test//links//EN\nVERSION:2.0\nMETHOD:REQUEST\n"
        f"{zone}BEGIN:VEVENT\nUID:{uid}\nDTSTAMP:20260101T000000Z\nSEQUENCE:0\n"
        f"ORGANIZER;CN=Org:mailto:{ORGANIZER}\n"
        "ATTENDEE;RSVP=TRUE:mailto:guest@example.org\n"
        f"{event}END:VEVENT\nEND:VCALENDAR\n"
    )
    return text.replace("\n", "\r\n").encode("utf-8")


def links_of(world: World, invite: UUID) -> dict[str, object]:
    response = world.client.get(
        f"/v1/invites/{invite}/calendar-links", headers=world.auth(world.organizer)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, dict)
    return body


def query(url: str) -> dict[str, str]:
    """Return the URL's query, decoded, one value per name (each must appear once)."""
    parsed = parse_qs(urlsplit(url).query, keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in parsed.values()), parsed
    return {name: values[0] for name, values in parsed.items()}


def utc(text: str) -> datetime:
    """Return the instant of 20260710T080000Z or 2026-07-10T08:00:00Z."""
    assert text.endswith("Z"), text
    compact = text.replace("-", "").replace(":", "")
    return datetime.strptime(compact, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def assert_instants(links: dict[str, str], start: datetime, end: datetime) -> None:
    """Assert that every web calendar's link starts and ends at these instants."""
    google = query(links["google"])
    assert urlsplit(links["google"])[:3] == ("https", "calendar.google.com", "/calendar/render")
    assert google["action"] == "TEMPLATE"
    first, last = google["dates"].split("/")
    assert (utc(first), utc(last)) == (start, end)
    for provider, host in (("outlook", "outlook.live.com"), ("office365", "outlook.office.com")):
        outlook = query(links[provider])
        assert urlsplit(links[provider])[:3] == ("https", host, "/calendar/0/action/compose")
        assert outlook["rru"] == "addevent"
        assert outlook["path"] == "/calendar/action/compose"
        assert outlook["allday"] == "false"
        assert (utc(outlook["startdt"]), utc(outlook["enddt"])) == (start, end)
    yahoo = query(links["yahoo"])
    assert urlsplit(links["yahoo"])[:3] == ("https", "calendar.yahoo.com", "/")
    assert yahoo["v"] == "60"
    assert (utc(yahoo["st"]), utc(yahoo["et"])) == (start, end)


@pytest.mark.parametrize(
    ("tzid", "zone", "summer", "winter", "ctz"),
    [
        # 10 July is summer time in Berlin (UTC+2); 10 January is winter time (UTC+1).
        ("Europe/Berlin", "", (8, 0), (9, 0), "Europe/Berlin"),
        ("Organizer's own zone", CUSTOM_ZONE, (7, 45), (8, 45), None),
    ],
    ids=["iana", "custom"],
)
def test_a_timed_event_in_a_zone_with_dst_gives_its_utc_instants(
    world: World,
    tzid: str,
    zone: str,
    summer: tuple[int, int],
    winter: tuple[int, int],
    ctz: str | None,
) -> None:
    invites = [
        ingest(
            world.container,
            calendar(
                f"{day}@test",
                f"SUMMARY:At ten\nDTSTART;TZID={tzid}:{day}T100000\n"
                f"DTEND;TZID={tzid}:{day}T113000\n",
                zone.format(tzid=tzid),
            ),
        )
        for day in ("20260710", "20270110")
    ]

    summer_links, winter_links = (links_of(world, invite)["links"] for invite in invites)

    assert isinstance(summer_links, dict)
    assert isinstance(winter_links, dict)
    begins = datetime(2026, 7, 10, *summer, tzinfo=UTC)
    assert_instants(summer_links, begins, begins + timedelta(minutes=90))
    begins = datetime(2027, 1, 10, *winter, tzinfo=UTC)
    assert_instants(winter_links, begins, begins + timedelta(minutes=90))
    # Google keeps a series at its wall-clock time by the event's zone: only an IANA name.
    assert query(summer_links["google"]).get("ctz") == ctz


def test_an_all_day_event_gives_dates_with_the_end_excluded(world: World) -> None:
    invite = ingest(
        world.container,
        calendar(
            "allday@test",
            "SUMMARY:Two days\nDTSTART;VALUE=DATE:20260801\nDTEND;VALUE=DATE:20260803\n",
        ),
    )

    links = links_of(world, invite)["links"]

    assert isinstance(links, dict)
    assert query(links["google"])["dates"] == "20260801/20260803"
    for provider in ("outlook", "office365"):
        outlook = query(links[provider])
        assert (outlook["startdt"], outlook["enddt"], outlook["allday"]) == (
            "2026-08-01",
            "2026-08-03",
            "true",
        )
    yahoo = query(links["yahoo"])
    # Yahoo names the last day itself.
    assert (yahoo["st"], yahoo["et"], yahoo["dur"]) == ("20260801", "20260802", "allday")


def test_a_recurring_event_carries_its_rule_to_google(world: World) -> None:
    invite = ingest(
        world.container,
        calendar(
            "weekly@test",
            "SUMMARY:Standup\nDTSTART;TZID=America/New_York:20260302T090000\n"
            "DTEND;TZID=America/New_York:20260302T091500\n"
            "RRULE:FREQ=WEEKLY;COUNT=10;BYDAY=MO\n",
        ),
    )

    links = links_of(world, invite)["links"]

    assert isinstance(links, dict)
    google = query(links["google"])
    assert google["recur"] == "RRULE:FREQ=WEEKLY;COUNT=10;BYDAY=MO"
    assert google["ctz"] == "America/New_York"
    # 2 March 2026 is before the US change to summer time (8 March): UTC-5.
    assert_instants(
        links, datetime(2026, 3, 2, 14, 0, tzinfo=UTC), datetime(2026, 3, 2, 14, 15, tzinfo=UTC)
    )


def test_a_title_with_url_characters_and_non_ascii_arrives_whole(world: World) -> None:
    title = "Q&A? #1 — Zürich café 東京 100%+"
    place = "Café & Bar #2, Straße 5"
    invite = ingest(
        world.container,
        calendar(
            "title@test",
            f"SUMMARY:{title}\nLOCATION:{place.replace(',', chr(92) + ',')}\n"
            "DTSTART:20260710T080000Z\nDTEND:20260710T090000Z\n",
        ),
    )

    links = links_of(world, invite)["links"]

    assert isinstance(links, dict)
    assert query(links["google"])["text"] == title
    assert query(links["google"])["location"] == place
    assert query(links["outlook"])["subject"] == title
    assert query(links["office365"])["location"] == place
    assert query(links["yahoo"])["title"] == title
    assert query(links["yahoo"])["in_loc"] == place
    for url in links.values():
        assert isinstance(url, str)
        assert url.isascii()
        assert " " not in url
        assert "#" not in url


def test_a_long_description_is_cut_with_a_pointer_to_the_landing_page(world: World) -> None:
    words = "Ünïcode words & more, " * 400  # about 9,000 characters
    invite = ingest(
        world.container,
        calendar(
            "long@test",
            f"SUMMARY:Long\nDESCRIPTION:{words.replace(',', chr(92) + ',')}\n"
            "DTSTART:20260710T080000Z\nDTEND:20260710T090000Z\n",
        ),
    )

    body = links_of(world, invite)
    links, landing = body["links"], body["landing_url"]

    assert isinstance(links, dict)
    assert isinstance(landing, str)
    for provider, name in (("google", "details"), ("outlook", "body"), ("yahoo", "desc")):
        url = links[provider]
        assert len(url) <= MAX_URL
        details = query(url)[name]
        assert details.endswith(f"…\n\nThe whole description: {landing}")
        kept = details.split("…\n\n")[0]
        assert len(kept) > 500
        assert words.startswith(kept)


def test_a_short_description_is_kept_whole(world: World) -> None:
    invite = ingest(
        world.container,
        calendar(
            "short@test",
            "SUMMARY:Short\nDESCRIPTION:Bring a pen.\\nAnd paper.\n"
            "DTSTART:20260710T080000Z\nDTEND:20260710T090000Z\n",
        ),
    )

    links = links_of(world, invite)["links"]

    assert isinstance(links, dict)
    assert query(links["google"])["details"] == "Bring a pen.\nAnd paper."


def test_readers_get_the_links_without_the_landing_signature(world: World) -> None:
    response = world.client.get(
        f"/v1/invites/{world.invite}/calendar-links", headers=world.auth(world.gmail)
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body["links"]) == {"google", "outlook", "office365", "yahoo"}
    assert body["ics"].startswith("http")
    assert "/invite.ics?sig=" in body["ics"]
    # The landing signature sends mail: only those who may send the invite see it.
    assert body["landing_url"] is None
    assert body["counted_links"] is None


def test_another_organizers_invite_has_no_links_for_you(world: World) -> None:
    response = world.client.get(
        f"/v1/invites/{world.rival_invite}/calendar-links", headers=world.auth(world.organizer)
    )

    assert response.status_code == 404


# -- the landing page and its counting redirect -----------------------------------------------


def landing_signature(world: World, invite: UUID) -> str:
    signature: str = world.container.links().landing_signature(invite)
    return signature


def landing_page(world: World, invite: UUID, sig: str | None) -> Response:
    params = {"sig": sig} if sig is not None else {}
    response: Response = world.client.get(f"/v1/landing/{invite}", params=params)
    return response


def statistics(world: World) -> dict[str, object]:
    response = world.client.get(
        f"/v1/invites/{world.invite}/statistics", headers=world.auth(world.organizer)
    )
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, dict)
    return body


def test_the_landing_page_lists_all_five_links_and_asks_for_email(world: World) -> None:
    sig = landing_signature(world, world.invite)

    page = landing_page(world, world.invite, sig)

    assert page.status_code == 200
    assert "<h1>the Strokes</h1>" in page.text
    for label in (
        "Google Calendar",
        "Outlook.com",
        "Office 365",
        "Yahoo Calendar",
        "Apple Calendar, Outlook and others (.ics file)",
    ):
        assert label in page.text
    for provider in ("google", "outlook", "office365", "yahoo", "ics"):
        assert f"/v1/landing/{world.invite}/add/{provider}?sig=" in page.text
    assert "Get updates by email" in page.text
    assert 'method="get"' in page.text
    assert 'name="address"' in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "script" not in page.headers["Content-Security-Policy"]


@pytest.mark.parametrize("sig", [None, "", "wrong"])
def test_the_landing_page_is_404_without_its_signature(world: World, sig: str | None) -> None:
    assert landing_page(world, world.invite, sig).status_code == 404


def test_a_calendar_signature_opens_no_landing_page(world: World) -> None:
    download = world.container.links().calendar_signature(world.invite)
    assert landing_page(world, world.invite, download).status_code == 404


@pytest.mark.parametrize("provider", ["google", "outlook", "office365", "yahoo", "ics"])
def test_the_redirect_counts_and_leads_exactly_to_the_provider(world: World, provider: str) -> None:
    sig = landing_signature(world, world.invite)
    body = links_of(world, world.invite)
    expected = body["ics"] if provider == "ics" else body["links"][provider]  # type: ignore[index]

    response = world.client.get(
        f"/v1/landing/{world.invite}/add/{provider}",
        params={"sig": sig},
        follow_redirects=False,
    )

    assert response.status_code == 302
    assert response.headers["location"] == expected
    assert response.headers["Referrer-Policy"] == "no-referrer"
    stats = statistics(world)
    assert stats["added_via_link"] == {provider: 1}
    assert stats["invited"] == 0


@pytest.mark.parametrize("sig", [None, "", "wrong"])
def test_a_redirect_with_a_bad_signature_is_404_and_counts_nothing(
    world: World, sig: str | None
) -> None:
    params = {"sig": sig} if sig is not None else {}
    response = world.client.get(
        f"/v1/landing/{world.invite}/add/google", params=params, follow_redirects=False
    )

    assert response.status_code == 404
    assert "location" not in response.headers
    assert statistics(world)["added_via_link"] == {}


def test_another_invites_signature_opens_no_redirect(world: World) -> None:
    sig = landing_signature(world, world.rival_invite)
    response = world.client.get(
        f"/v1/landing/{world.invite}/add/google", params={"sig": sig}, follow_redirects=False
    )
    assert response.status_code == 404


def test_added_via_link_then_by_email_counts_one_recipient_and_one_add(world: World) -> None:
    sig = landing_signature(world, world.invite)
    world.client.get(
        f"/v1/landing/{world.invite}/add/google", params={"sig": sig}, follow_redirects=False
    )
    world.client.get(
        f"/v1/landing/{world.invite}/add/google", params={"sig": sig}, follow_redirects=False
    )
    world.client.get(
        f"/v1/landing/{world.invite}/add/yahoo", params={"sig": sig}, follow_redirects=False
    )

    # The page's "Get updates by email" form comes back to the landing link with the address.
    asked = world.client.get(
        f"/v1/landing/{world.invite}", params={"sig": sig, "address": "vis@example.org"}
    )

    assert asked.status_code == 200
    assert "on its way to vis@example.org" in asked.text
    stats = statistics(world)
    assert stats["invited"] == 1
    assert stats["by_origin"] == {"landing": 1}
    assert stats["added_via_link"] == {"google": 2, "yahoo": 1}


def test_a_cancelled_event_has_nothing_to_add(world: World) -> None:
    driver_cancel = world.container.front_doors().inbound.cancel
    driver_cancel(str(world.invite), now=datetime.now(UTC))
    sig = landing_signature(world, world.invite)

    page = landing_page(world, world.invite, sig)
    added = world.client.get(
        f"/v1/landing/{world.invite}/add/google", params={"sig": sig}, follow_redirects=False
    )

    assert page.status_code == 410
    assert added.status_code == 410
    assert statistics(world)["added_via_link"] == {}
