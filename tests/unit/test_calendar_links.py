"""The add links' times and text, from event details as the parser records them: the edge
cases RFC 5545 defines (no end, floating times) and the URL budget."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from application.links.calendar_links import MAX_URL, Provider, web_links
from domain.values import EventDetails


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def test_a_timed_event_without_an_end_ends_when_it_starts() -> None:
    links = web_links(EventDetails(summary="x", start="2026-07-10T10:00:00+02:00"), more=None)

    assert query(links[Provider.GOOGLE])["dates"] == "20260710T080000Z/20260710T080000Z"
    assert query(links[Provider.OUTLOOK])["enddt"] == "2026-07-10T08:00:00Z"


def test_an_all_day_event_without_an_end_lasts_its_day() -> None:
    details = EventDetails(summary="x", start="2026-02-28", all_day=True)

    links = web_links(details, more=None)

    assert query(links[Provider.GOOGLE])["dates"] == "20260228/20260301"
    yahoo = query(links[Provider.YAHOO])
    assert (yahoo["st"], yahoo["dur"]) == ("20260228", "allday")
    assert "et" not in yahoo


def test_floating_times_stay_wall_clock_times_for_the_visitors_zone() -> None:
    details = EventDetails(summary="x", start="2026-07-10T10:00:00", end="2026-07-10T11:00:00")

    links = web_links(details, more=None)

    assert query(links[Provider.GOOGLE])["dates"] == "20260710T100000/20260710T110000"
    assert query(links[Provider.OFFICE365])["startdt"] == "2026-07-10T10:00:00"
    assert query(links[Provider.YAHOO])["st"] == "20260710T100000"
    assert "ctz" not in query(links[Provider.GOOGLE])


def test_no_start_no_links() -> None:
    assert web_links(EventDetails(summary="x"), more=None) == {}
    assert web_links(EventDetails(summary="x", start="not a time"), more=None) == {}


def test_a_description_cut_without_a_pointer_ends_with_an_ellipsis() -> None:
    details = EventDetails(summary="x", start="2026-07-10", all_day=True, description="é" * 3000)

    for url in web_links(details, more=None).values():
        assert len(url) <= MAX_URL
        cut = next(v for k, v in query(url).items() if k in ("details", "body", "desc"))
        assert cut.endswith("é…")
        assert set(cut[:-1]) == {"é"}
