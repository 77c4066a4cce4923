"""The invite page's actions over HTTP, through the real container: who may act, CSRF, sending
to one and to a list (preview, YES), approving, cancelling, the report and the links."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from application.reading.report import RecipientView, ReportRow
from application.send_types import Recipient
from domain.suppressions import SuppressionReason
from entrypoints.api import create_app
from entrypoints.container import Container, bootstrap
from entrypoints.settings import Settings
from entrypoints.web.action_words import file_name, progress
from entrypoints.web.pages import page
from tests.api.test_web_invite_page import signed_in
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import driver

ORGANIZER = "inboxapptest@gmail.com"  # the organizer of the corpus invite
OTHER = "rival@example.com"
OWNER = "owner@gmail.com"  # owns the organizer's domain: reads, never acts
ADMIN = "admin@example.org"
BASE = "http://testserver"
SEQ0 = CORPUS / "update/gcal-selfsent-seq0.ics"
SEQ1 = CORPUS / "update/gcal-selfsent-seq1.ics"


def new_container(tmp_path: Path, list_max_bytes: int = 5 * 1024 * 1024) -> Container:
    settings = Settings(
        backend="memory",
        data_dir=tmp_path,
        web_base_url=BASE,
        admins=ADMIN,
        list_max_bytes=list_max_bytes,
    )
    container = bootstrap(settings)
    now = datetime.now(UTC)
    for address in (ORGANIZER, OTHER):
        container.registry().allow(address, now=now)
    container.registry().set_domain_owners("gmail.com", [OWNER], now=now)
    return container


def ingest(container: Container, raw: bytes) -> UUID:
    result = from_organizer(driver(container), raw, now=datetime.now(UTC))
    assert result.invite is not None, result
    return result.invite


def invite_of(container: Container) -> UUID:
    invite = ingest(container, SEQ0.read_bytes())
    container.projections().run()
    return invite


def csrf(client: TestClient, invite: UUID) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(f"/invites/{invite}").text)
    assert found is not None
    return found.group(1)


def test_the_organizer_sends_to_one_address_and_learns_what_became_of_it(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    invite = invite_of(container)
    client = signed_in(container, ORGANIZER)
    token = csrf(client, invite)
    form = {"csrf": token, "address": "ann@example.net", "name": "Ann"}

    first = client.post(f"/invites/{invite}/send", data=form)
    again = client.post(f"/invites/{invite}/send", data=form)
    bad = client.post(f"/invites/{invite}/send", data={**form, "address": "not-an-address"})

    assert first.status_code == 200
    assert "The invitation was sent to ann@example.net." in first.text
    assert "This event is over" in first.text  # the corpus event was in 2015: still sent
    assert "ann@example.net already received this version" in again.text
    assert "not-an-address cannot receive it." in bad.text
    sent = container.front_doors().reading.recipients(str(invite))
    assert [(r.row.address, r.row.origin) for r in sent] == [("ann@example.net", "web")]


def test_a_suppressed_address_is_not_sent_and_the_page_says_why(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    invite = invite_of(container)
    container.front_doors().outbound.suppressions.suppress(
        "gone@example.net", None, SuppressionReason.UNSUBSCRIBED, now=datetime.now(UTC)
    )
    client = signed_in(container, ORGANIZER)
    form = {"csrf": csrf(client, invite), "address": "gone@example.net"}

    answer = client.post(f"/invites/{invite}/send", data=form)

    assert "Not sent to gone@example.net: the address is on the suppression list" in answer.text
    assert container.front_doors().reading.recipients(str(invite)) == []


def test_a_form_without_the_sessions_token_changes_nothing(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    invite = invite_of(container)
    client = signed_in(container, ORGANIZER)

    answers = [
        client.post(f"/invites/{invite}/send", data={"csrf": "forged", "address": "a@b.example"}),
        client.post(f"/invites/{invite}/cancel", data={}),
        client.post(f"/invites/{invite}/report", data={"csrf": ""}),
    ]

    assert [a.status_code for a in answers] == [403, 403, 403]
    assert container.front_doors().reading.recipients(str(invite)) == []
    assert container.front_doors().reading.show(str(invite)).status != "cancelled"


def test_only_the_organizer_or_an_admin_may_act(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    invite = invite_of(container)
    owner, other = signed_in(container, OWNER), signed_in(container, ADMIN)
    rival = signed_in(container, OTHER)

    read_only = owner.get(f"/invites/{invite}")
    assert read_only.status_code == 200
    assert "Send the invitation" not in read_only.text
    assert "Links to copy" not in read_only.text
    assert "sig=" in read_only.text  # the calendar file only
    form = {"csrf": csrf(owner, invite), "address": "a@b.example"}
    assert owner.post(f"/invites/{invite}/send", data=form).status_code == 403
    assert owner.get(f"/invites/{invite}/cancel").status_code == 403
    assert rival.get(f"/invites/{invite}/cancel").status_code == 404
    assert rival.get(f"/invites/{invite}/report.csv").status_code == 404
    assert "Send the invitation" in other.get(f"/invites/{invite}").text
    assert other.get(f"/invites/{invite}/approve").status_code == 200
    assert container.front_doors().reading.recipients(str(invite)) == []


def test_a_list_is_previewed_then_sent_only_once_yes_is_typed(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    invite = invite_of(container)
    client = signed_in(container, ORGANIZER)
    token = csrf(client, invite)
    data = b"email,name\nann@example.net,Ann\nnot an address,Bob\nANN@example.net,Ann again\n"

    preview = client.post(
        f"/invites/{invite}/list",
        data={"csrf": token},
        files={"file": ("list.csv", data, "text/csv")},
    )

    assert preview.status_code == 200
    text = preview.text
    assert "1 person would receive" in text
    assert "<td>3</td><td>not an address</td>" in text
    assert "<td>4</td><td>ann@example.net</td><td>2</td>" in text
    assert container.front_doors().reading.recipients(str(invite)) == []
    action = re.search(r'action="(/invites/[^"]+/send)"', text)
    confirmation = re.search(r'name="confirmation" value="([0-9a-f]+)"', text)
    assert action is not None
    assert confirmation is not None
    form = {"csrf": token, "confirmation": confirmation.group(1)}

    wrong = client.post(action.group(1), data={**form, "typed": "yes please"})
    assert wrong.status_code == 400
    assert "Nothing was sent: type YES" in wrong.text
    assert "<td>3</td><td>not an address</td>" in wrong.text
    assert container.front_doors().reading.recipients(str(invite)) == []
    forged = client.post(action.group(1), data={**form, "confirmation": "0" * 64, "typed": "YES"})
    assert forged.status_code == 404

    sent = client.post(action.group(1), data={**form, "typed": " yes "})
    assert sent.status_code == 200
    assert "<td>ann@example.net</td><td>sent</td>" in sent.text
    assert "<td>not an address</td><td>invalid</td>" in sent.text
    assert "repeats ann@example.net from line 2" in sent.text
    progress = client.get(f"/invites/{invite}/sending?watch=true")
    assert re.search(r"<dt>sent</dt><dd>1</dd>", progress.text)
    assert 'http-equiv="refresh"' not in progress.text  # nothing pending: nothing to watch


def test_a_list_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    container = new_container(tmp_path, list_max_bytes=1024)
    invite = invite_of(container)
    client = signed_in(container, ORGANIZER)
    data = b"".join(b"p%04d@example.net\n" % i for i in range(200))

    answer = client.post(
        f"/invites/{invite}/list",
        data={"csrf": csrf(client, invite)},
        files={"file": ("list.csv", data, "text/csv")},
    )

    assert answer.status_code == 413
    assert "at most 1024 bytes" in answer.text


def test_a_list_that_is_not_csv_says_why(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    invite = invite_of(container)
    client = signed_in(container, ORGANIZER)

    answer = client.post(
        f"/invites/{invite}/list",
        data={"csrf": csrf(client, invite)},
        files={"file": ("list.csv", b'"' + b"a" * 140_000, "text/csv")},
    )

    assert answer.status_code == 422
    assert "The list is not readable CSV" in answer.text


def test_a_held_update_shows_what_changes_and_is_approved(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    container.registry().review(ORGANIZER, True, now=datetime.now(UTC))
    invite = invite_of(container)
    container.outbound().send(str(invite), [Recipient("ann@example.net")], now=datetime.now(UTC))
    ingest(container, SEQ1.read_bytes())
    container.projections().run()
    client = signed_in(container, ORGANIZER)
    assert "Review the held update" in client.get(f"/invites/{invite}").text

    shown = client.get(f"/invites/{invite}/approve")

    assert '<th scope="row">Where</th><td>Olympia Hall, 28 Boulevard' in shown.text
    assert "<td>Le Zenith, 211 Avenue Jean Jaures" in shown.text
    assert "The organizer changed location" in shown.text
    assert "Sender checked" not in shown.text
    done = client.post(f"/invites/{invite}/approve", data={"csrf": csrf(client, invite)})
    assert done.status_code == 200
    assert "<td>sent</td><td>1</td>" in done.text
    assert container.front_doors().reading.held_since(invite) is None
    assert "No update of this invitation waits" in client.get(f"/invites/{invite}/approve").text


def test_cancelling_asks_first_then_tells_everyone(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    invite = invite_of(container)
    client = signed_in(container, ORGANIZER)

    asked = client.get(f"/invites/{invite}/cancel")
    assert "This tells every recipient the event is cancelled" in asked.text
    assert container.front_doors().reading.show(str(invite)).status != "cancelled"
    done = client.post(f"/invites/{invite}/cancel", data={"csrf": csrf(client, invite)})

    assert "The event is cancelled" in done.text
    assert container.front_doors().reading.show(str(invite)).status == "cancelled"
    history = container.front_doors().reading.history(str(invite))
    assert any(f"web:{ORGANIZER}" in str(e.data.get("vouched_by")) for e in history)


def test_the_report_is_emailed_or_downloaded_with_formulas_neutralized(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    invite = invite_of(container)
    hostile = Recipient("eve@example.net", '=HYPERLINK("http://evil")', "api")
    container.outbound().send(str(invite), [hostile], now=datetime.now(UTC))
    client = signed_in(container, ORGANIZER)

    mailed = client.post(f"/invites/{invite}/report", data={"csrf": csrf(client, invite)})
    download = client.get(f"/invites/{invite}/report.csv")

    assert f"is on its way to {ORGANIZER}" in mailed.text
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    disposition = download.headers["content-disposition"]
    assert disposition == 'attachment; filename="the-strokes-rsvp-report.csv"'
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0]["address"] == "eve@example.net"
    assert rows[0]["name"].startswith("'=")


def test_the_links_keep_their_merge_tags_and_the_calendar_file_downloads(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    invite = invite_of(container)
    client = signed_in(container, ORGANIZER)

    text = client.get(f"/invites/{invite}").text

    landing = re.search(r'id="link-landing" [^>]*>([^<]+)</textarea>', text)
    assert landing is not None
    url = landing.group(1).replace("&amp;", "&")
    assert url.startswith(f"{BASE}/v1/landing/{invite}?sig=")
    assert f">{landing.group(1)}&amp;address=*|EMAIL|*&amp;name=*|FNAME|*</textarea>" in text
    assert f">{landing.group(1)}&amp;address={{{{email}}}}&amp;name={{{{name}}}}</textarea>" in text
    calendar = re.search(
        r'href="(http://testserver/v1/invites/[^"]+/invite\.ics\?sig=[^"]+)"', text
    )
    assert calendar is not None
    ics = client.get(calendar.group(1).replace("&amp;", "&"))
    assert ics.status_code == 200
    assert b"BEGIN:VCALENDAR" in ics.content
    visited = client.get(url + "&address=visitor@example.net")
    assert visited.status_code == 200


def test_the_progress_page_updates_itself_only_when_asked_and_while_sending_waits() -> None:
    def recipient(address: str, delivery: str) -> RecipientView:
        row = ReportRow(address, None, "bulk", "no answer", 0, None, None, None)
        return RecipientView(row, delivery)

    waiting = progress([recipient("a@example.net", "sent"), recipient("b@example.net", "pending")])
    context: dict[str, Any] = {"invite_id": "x", "invite_title": "T", "progress": waiting}

    watched = bytes(
        page("action_sending.html.j2", watch=True, refresh=True, **context).body
    ).decode()
    unwatched = bytes(
        page("action_sending.html.j2", watch=False, refresh=False, **context).body
    ).decode()

    assert waiting.counts == {"sent": 1, "pending": 1, "failed": 0, "bounced": 0}
    assert [r.row.address for r in waiting.waiting] == ["b@example.net"]
    assert '<meta http-equiv="refresh" content="2">' in watched
    assert "Stop updating" in watched
    assert "http-equiv" not in unwatched
    assert "?watch=true" in unwatched


def test_a_file_name_keeps_only_letters_and_digits() -> None:
    assert file_name('Café "night"\r\nX-Evil: 1', "rsvp-report.csv") == (
        "cafe-night-x-evil-1-rsvp-report.csv"
    )
    assert file_name(None, "rsvp-report.csv") == "invitation-rsvp-report.csv"


def test_without_a_session_every_action_goes_to_sign_in(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    invite = invite_of(container)
    client = TestClient(create_app(container), base_url=BASE)
    upload = f"/invites/{invite}/list/{'0' * 64}/send"

    gets = ["sending", "approve", "cancel", "report.csv"]
    posts = ["send", "list", "approve", "cancel", "report"]
    answers = [client.get(f"/invites/{invite}/{path}", follow_redirects=False) for path in gets]
    answers += [client.post(f"/invites/{invite}/{path}", follow_redirects=False) for path in posts]
    answers.append(client.post(upload, follow_redirects=False))

    assert {(a.status_code, a.headers.get("location")) for a in answers} == {(303, "/sign-in")}
