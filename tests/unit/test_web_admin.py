"""The web app's Administration over HTTP: who may open what, and every change it makes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from fastapi.testclient import TestClient

from application.admin.health import sending_health
from application.outbound.suppressions import SuppressionReason
from entrypoints.container import Container
from tests.api.conftest import SEQ0, SEQ1, ingest, invite_ics
from tests.api.test_web_invite_page import ADMIN, corpus_invite, new_container, send, signed_in
from tests.integration.test_forwarded_answers import forwarded_answer, invited

ALICE = "alice@example.com"  # an organizer of example.com
OWNER = "ops@example.com"  # owns example.com
GMAIL = "inboxapptest@gmail.com"  # the corpus invite's organizer


def world(tmp_path: Path) -> tuple[Container, UUID, UUID]:
    """A server with one invite of gmail.com and one of example.com (sent to three people)."""
    container = new_container(tmp_path)
    gmail = corpus_invite(container)
    ours = ingest(container, invite_ics("ours-1", ALICE, "20300101T100000Z", "Board meeting"))
    send(container, ours, 3)
    container.registry().set_domain_owners("example.com", [OWNER], now=datetime.now(UTC))
    return container, gmail, ours


def csrf(client: TestClient, path: str = "/admin") -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def test_an_admin_sees_every_organizer_with_totals_and_the_header_link(tmp_path: Path) -> None:
    container, _, _ = world(tmp_path)
    client = signed_in(container, ADMIN)

    home = client.get("/")
    answer = client.get("/admin")

    assert '<a class="admin-link" href="/admin">Administration</a>' in home.text
    assert answer.status_code == 200
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert f'href="/admin/organizers/{ALICE}"' in answer.text
    assert f'href="/admin/organizers/{GMAIL}"' in answer.text
    assert 'href="/admin/keys"' in answer.text
    assert "<script" not in answer.text


def test_an_organizer_has_no_administration(tmp_path: Path) -> None:
    container, _, _ = world(tmp_path)
    client = signed_in(container, GMAIL)

    assert "Administration" not in client.get("/").text
    for path in ("/admin", "/admin/invites", "/admin/keys", "/admin/sending"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/admin/organizers/{GMAIL}").status_code == 404
    token = csrf(client, "/")
    answer = client.post(f"/admin/organizers/{GMAIL}/allow", data={"csrf": token})
    assert answer.status_code == 404


def test_an_owner_sees_their_domain_only(tmp_path: Path) -> None:
    container, gmail, ours = world(tmp_path)
    client = signed_in(container, OWNER)

    listed = client.get("/admin")
    invites = client.get("/admin/invites")
    invite = client.get(f"/invites/{ours}")

    assert "Administration of example.com" in listed.text
    assert ALICE in listed.text
    assert GMAIL not in listed.text
    assert f'href="/invites/{ours}"' in invites.text
    assert str(gmail) not in invites.text
    assert invite.status_code == 200
    assert "p***@example.net" in invite.text
    assert "p001@example.net" not in invite.text
    assert "Person 1" not in invite.text
    assert client.get(f"/invites/{gmail}").status_code == 404
    assert client.get(f"/admin/organizers/{GMAIL}").status_code == 404
    assert client.get("/admin/keys").status_code == 404
    assert client.get("/admin/sending").status_code == 404


def test_an_owner_cannot_change_another_domains_organizer(tmp_path: Path) -> None:
    container, _, _ = world(tmp_path)
    client = signed_in(container, OWNER)
    token = csrf(client)

    answer = client.post(f"/admin/organizers/{GMAIL}/suspend", data={"csrf": token, "reason": "no"})

    assert answer.status_code == 404
    assert container.registry().find(GMAIL).refusal() is None  # type: ignore[union-attr]


def test_an_owner_suspends_limits_reviews_blocks_and_reinstates(tmp_path: Path) -> None:
    container, _, _ = world(tmp_path)
    client = signed_in(container, OWNER)
    token = csrf(client)
    path = f"/admin/organizers/{ALICE}"

    suspended = client.post(
        path + "/suspend", data={"csrf": token, "reason": "<b>spam</b>"}, follow_redirects=False
    )
    assert suspended.status_code == 303
    assert suspended.headers["location"] == path + "?done=suspended"
    page = client.get(suspended.headers["location"]).text
    assert "Suspended: &lt;b&gt;spam&lt;/b&gt;" in page
    assert "The organizer is suspended" in page

    client.post(path + "/limits", data={"csrf": token, "max_events": "0", "max_recipients": "7"})
    client.post(path + "/review", data={"csrf": token, "switch": "on"})
    client.post(path + "/blocks", data={"csrf": token, "recipient": "Bob@Example.net"})
    record = container.registry().find(ALICE)
    assert record is not None
    assert (record.max_events, record.max_recipients, record.review_updates) == (0, 7, True)

    client.post(path + "/allow", data={"csrf": token})
    client.post(path + "/limits", data={"csrf": token, "max_events": "", "max_recipients": ""})
    client.post(
        path + "/blocks", data={"csrf": token, "recipient": "bob@example.net", "action": "unblock"}
    )
    record = container.registry().find(ALICE)
    assert record is not None
    assert record.refusal() is None
    assert (record.max_events, record.max_recipients) == (None, None)


def test_forms_without_the_sessions_token_or_with_bad_values_change_nothing(
    tmp_path: Path,
) -> None:
    container, _, _ = world(tmp_path)
    client = signed_in(container, ADMIN)
    path = f"/admin/organizers/{ALICE}"

    forged = client.post(path + "/suspend", data={"csrf": "forged", "reason": "x"})
    bad_limit = client.post(path + "/limits", data={"csrf": csrf(client), "max_events": "-1"})
    bad_switch = client.post(path + "/review", data={"csrf": csrf(client), "switch": "maybe"})
    bad_address = client.post(path + "/blocks", data={"csrf": csrf(client), "recipient": "x"})

    assert forged.status_code == 403
    assert bad_limit.status_code == bad_switch.status_code == bad_address.status_code == 400
    assert "A limit is a whole number" in bad_limit.text
    record = container.registry().find(ALICE)
    assert record is None or (record.refusal() is None and record.max_events is None)


def test_an_admin_creates_a_key_sees_its_token_once_and_revokes_it(tmp_path: Path) -> None:
    container, _, ours = world(tmp_path)
    client = signed_in(container, ADMIN)
    token = csrf(client, "/admin/keys")

    created = client.post(
        "/admin/keys",
        data={"csrf": token, "scope": "domain", "subject": "example.com", "label": "<i>ci</i>"},
    )
    secret = re.search(r"cis_[a-z2-7]{8}_[\w-]{43}", created.text)
    assert created.status_code == 200
    assert secret is not None
    assert "never shown again" in created.text
    key_id = secret.group(0)[4:12]

    listed = client.get("/admin/keys").text
    assert key_id in listed
    assert secret.group(0) not in listed
    assert "&lt;i&gt;ci&lt;/i&gt;" in listed
    bearer = {"Authorization": f"Bearer {secret.group(0)}"}
    assert client.get(f"/v1/invites/{ours}", headers=bearer).status_code == 200

    revoked = client.post(f"/admin/keys/{key_id}/revoke", data={"csrf": token, "reason": "done"})
    assert revoked.status_code == 200
    assert "The key is revoked." in revoked.text
    assert "Revoked" in revoked.text
    assert container.api_keys().authenticate(secret.group(0), datetime.now(UTC)) is None
    assert client.get(f"/v1/invites/{ours}", headers=bearer).status_code == 401


def test_a_key_that_does_not_fit_its_scope_is_refused(tmp_path: Path) -> None:
    container, _, _ = world(tmp_path)
    client = signed_in(container, ADMIN)
    token = csrf(client, "/admin/keys")

    answer = client.post(
        "/admin/keys", data={"csrf": token, "scope": "organizer", "subject": "not an address"}
    )

    assert answer.status_code == 400
    assert "is not an organizer address" in answer.text
    assert container.api_keys().list() == []


def test_sending_health_counts_what_was_sent(tmp_path: Path) -> None:
    container, _, _ = world(tmp_path)
    client = signed_in(container, ADMIN)

    answer = client.get("/admin/sending")

    assert answer.status_code == 200
    assert "<dt>Sent</dt><dd>3</dd>" in answer.text
    assert "<dt>Quarantined replies</dt><dd>0</dd>" in answer.text


def test_sending_health_lists_a_quarantined_reply(tmp_path: Path) -> None:
    service, address, raw = invited(tmp_path)
    outcome = forwarded_answer(service, raw, address, "dave@example.net", "bob@example.org")
    assert outcome.startswith("rejected: quarantined")

    health = sending_health(service.doors.reading)

    assert health.by_status["sent"] == 1
    assert health.quarantined_count == 1
    [reply] = health.quarantined
    assert reply.reason.startswith("quarantined")
    assert reply.mailbox == address
    assert health.held == []


def test_an_update_held_for_review_shows_on_the_sending_and_organizer_pages(
    tmp_path: Path,
) -> None:
    container = new_container(tmp_path)
    container.registry().review(GMAIL, True, now=datetime.now(UTC))
    invite = ingest(container, SEQ0.read_bytes())
    send(container, invite, 2)
    ingest(container, SEQ1.read_bytes())
    container.projections().run()
    client = signed_in(container, ADMIN)

    health = client.get("/admin/sending").text
    organizer = client.get(f"/admin/organizers/{GMAIL}").text

    assert '<dt>Invitations held for review</dt><dd><a href="#held">1</a></dd>' in health
    assert f'<li><a href="/invites/{invite}">{invite}</a></li>' in health
    assert "Held for review</span>" in organizer
    assert 'value="on" checked' in organizer


def test_a_path_that_is_no_address_is_not_found_and_registers_nobody(tmp_path: Path) -> None:
    container, _, _ = world(tmp_path)
    client = signed_in(container, ADMIN)

    assert client.get("/admin/organizers/not-an-address").status_code == 404
    answer = client.post("/admin/organizers/not-an-address/allow", data={"csrf": csrf(client)})

    assert answer.status_code == 404
    assert container.registry().find("not-an-address") is None


def test_an_admin_suppresses_and_lifts_an_address_and_its_sends_stop(tmp_path: Path) -> None:
    container, _, _ = world(tmp_path)
    client = signed_in(container, ADMIN)
    token = csrf(client, "/admin/suppressions")

    added = client.post(
        "/admin/suppressions",
        data={"csrf": token, "address": "Gone@Example.net", "organizer": ALICE},
    )
    refused = client.post("/admin/suppressions", data={"csrf": token, "address": "no <b>"})
    forged = client.post("/admin/suppressions", data={"csrf": "x", "address": "a@example.net"})

    assert "The address is suppressed." in added.text
    assert "gone@example.net" in added.text
    assert refused.status_code == 400
    assert "<b>" not in refused.text
    assert "The address is not usable" in refused.text
    assert forged.status_code == 403
    sends = container.front_doors().outbound.suppressions
    assert sends.is_suppressed("gone@example.net", ALICE) is not None
    assert sends.is_suppressed("gone@example.net", GMAIL) is None
    assert sends.is_suppressed("a@example.net", ALICE) is None

    lifted = client.post(
        "/admin/suppressions/lift",
        data={"csrf": token, "address": "gone@example.net", "scope": ALICE},
    )
    assert "The suppression is lifted." in lifted.text
    assert sends.is_suppressed("gone@example.net", ALICE) is None


def test_owners_and_organizers_never_see_the_suppression_list(tmp_path: Path) -> None:
    container, _, _ = world(tmp_path)
    container.front_doors().outbound.suppressions.suppress(
        "gone@example.net", None, SuppressionReason.UNSUBSCRIBED, now=datetime.now(UTC)
    )
    for who in (OWNER, ALICE):
        client = signed_in(container, who)
        answer = client.get("/admin/suppressions")
        assert answer.status_code == 404
        assert "gone@example.net" not in answer.text
