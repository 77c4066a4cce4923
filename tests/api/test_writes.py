"""Acting on an invite over the API: send to one, to a list (preview then confirm), approve,
cancel, and the RSVP report by email."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.api.conftest import ORGANIZER, SEQ1, World, assert_problem
from tests.corpus_mail import from_organizer
from tests.driver import driver

CSV = (
    b"email,name\n"
    b"ann@example.org,Ann\n"
    b"not-an-address,Bad\n"
    b"bob@example.org,Bob\n"
    b"ANN@example.org,Ann again\n"
    b"carl@nowhere,Carl\n"
)


def test_sending_to_one_recipient_answers_the_send_result(world: World) -> None:
    response = world.client.post(
        f"/v1/invites/{world.invite}/recipients",
        headers=world.auth(world.organizer),
        json={"address": " Ann@Example.org ", "name": "Ann  Smith", "origin": "vip"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["address"] == "ann@example.org"
    assert body["outcome"] == "sent"
    assert body["invite"] == str(world.invite)
    again = world.client.post(
        f"/v1/invites/{world.invite}/recipients",
        headers=world.auth(world.admin),
        json={"address": "ann@example.org"},
    )
    assert again.json()["outcome"] == "duplicate"
    # A sentence for people, never where the mailer put the first copy (a file path).
    assert again.json()["reason"] == (
        "ann@example.org already received this version (sequence 0): not sent again"
    )


def test_an_unusable_address_is_a_validation_problem_naming_the_field(world: World) -> None:
    for body in (
        {"address": "not an address"},
        {"address": "a@b.c\r\nBcc: x@y.z"},
        {"address": "ann@example.org", "origin": "Has Spaces"},
        {"address": "ann@example.org", "surprise": 1},
        {},
    ):
        response = world.client.post(
            f"/v1/invites/{world.invite}/recipients", headers=world.auth(world.admin), json=body
        )
        problem = assert_problem(response, 422)
        assert problem["errors"], problem


def test_a_body_that_is_not_json_is_a_validation_problem(world: World) -> None:
    response = world.client.post(
        f"/v1/invites/{world.invite}/recipients",
        headers={**world.auth(world.admin), "Content-Type": "application/json"},
        content=b"{not json",
    )
    assert_problem(response, 422)


def test_a_list_is_previewed_then_sent_once_confirmed(world: World) -> None:
    auth = world.auth(world.organizer)
    preview = world.client.post(
        f"/v1/invites/{world.invite}/bulk", headers=auth, files={"file": ("list.csv", CSV)}
    )
    assert preview.status_code == 201, preview.text
    body = preview.json()
    assert (body["usable"], body["duplicates"], body["invalid"]) == (2, 1, 2)
    assert [p["line"] for p in body["problems"]] == [3, 6]
    # The duplicate by its line, with the earlier line it repeats.
    [repeat] = body["repeated"]
    assert (repeat["line"], repeat["address"], repeat["first_line"]) == (5, "ann@example.org", 2)
    assert "line 5" in repeat["reason"]
    assert "line 2" in repeat["reason"]
    # Nothing is sent before the confirmation.
    stats = world.client.get(f"/v1/invites/{world.invite}/statistics", headers=auth).json()
    assert stats["invited"] == 0

    confirm = world.client.post(
        body["confirm_url"], headers=auth, json={"confirmation": body["confirmation"]}
    )
    assert confirm.status_code == 200, confirm.text
    sent = confirm.json()
    assert sent["counts"] == {"invalid": 2, "duplicate": 1, "sent": 2}
    [duplicate] = [r for r in sent["results"] if r["outcome"] == "duplicate"]
    assert duplicate["address"] == "ann@example.org"
    assert duplicate["reason"] == repeat["reason"]
    stats = world.client.get(f"/v1/invites/{world.invite}/statistics", headers=auth).json()
    assert stats["by_origin"] == {"bulk": 2}


def test_confirming_a_list_again_answers_sentences_never_paths(world: World) -> None:
    auth = world.auth(world.organizer)
    body = world.client.post(
        f"/v1/invites/{world.invite}/bulk", headers=auth, files={"file": ("list.csv", CSV)}
    ).json()
    confirm = {"confirmation": body["confirmation"]}
    assert world.client.post(body["confirm_url"], headers=auth, json=confirm).status_code == 200
    again = world.client.post(body["confirm_url"], headers=auth, json=confirm).json()
    assert again["counts"] == {"invalid": 2, "duplicate": 3}
    for result in again["results"]:
        reason = result["reason"]
        assert " " in (reason or ""), result
        assert not reason.startswith("/"), result
        assert ".eml" not in reason, result
    already = {r["address"]: r["reason"] for r in again["results"] if r["sequence"] is not None}
    assert set(already) == {"ann@example.org", "bob@example.org"}
    assert "already received this version" in already["bob@example.org"]


def test_sending_an_event_that_is_over_warns_and_sends(world: World) -> None:
    # The corpus invite took place in March 2015; the rival's is in 2040.
    auth = world.auth(world.admin)
    past = world.client.post(
        f"/v1/invites/{world.invite}/recipients", headers=auth, json={"address": "a@example.org"}
    ).json()
    assert past["outcome"] == "sent"
    assert len(past["warnings"]) == 1
    assert "over" in past["warnings"][0]
    assert "2015-03-20" in past["warnings"][0]
    future = world.client.post(
        f"/v1/invites/{world.rival_invite}/recipients",
        headers=auth,
        json={"address": "a@example.org"},
    ).json()
    assert (future["outcome"], future["warnings"]) == ("sent", [])
    preview = world.client.post(
        f"/v1/invites/{world.invite}/bulk", headers=auth, files={"file": ("list.csv", CSV)}
    ).json()
    assert len(preview["warnings"]) == 1
    confirmed = world.client.post(
        preview["confirm_url"], headers=auth, json={"confirmation": preview["confirmation"]}
    ).json()
    assert confirmed["warnings"] == past["warnings"]


def test_a_confirmation_works_only_for_the_invite_it_was_given_for(world: World) -> None:
    auth = world.auth(world.admin)
    body = world.client.post(
        f"/v1/invites/{world.invite}/bulk", headers=auth, files={"file": ("list.csv", CSV)}
    ).json()
    elsewhere = world.client.post(
        f"/v1/invites/{world.rival_invite}/bulk/{body['upload_id']}/confirm",
        headers=auth,
        json={"confirmation": body["confirmation"]},
    )
    assert_problem(elsewhere, 404)
    forged = world.client.post(body["confirm_url"], headers=auth, json={"confirmation": "0" * 64})
    assert_problem(forged, 404)


def test_a_malformed_upload_id_is_a_validation_problem(world: World) -> None:
    response = world.client.post(
        f"/v1/invites/{world.invite}/bulk/not-a-hash/confirm",
        headers=world.auth(world.admin),
        json={"confirmation": "x"},
    )
    assert_problem(response, 422)


def test_an_upload_without_a_file_is_a_validation_problem(world: World) -> None:
    response = world.client.post(
        f"/v1/invites/{world.invite}/bulk", headers=world.auth(world.admin), data={"x": "y"}
    )
    assert_problem(response, 422)


def test_approve_releases_an_update_held_for_review(world: World) -> None:
    service = driver(world.container)
    now = datetime.now(UTC)
    service.registry.review(ORGANIZER, True, now=now)
    world.client.post(
        f"/v1/invites/{world.invite}/recipients",
        headers=world.auth(world.organizer),
        json={"address": "ann@example.org"},
    )
    assert from_organizer(service, SEQ1.read_bytes(), now=now).outcome.value == "updated"
    response = world.client.post(
        f"/v1/invites/{world.invite}/approve", headers=world.auth(world.organizer)
    )
    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    assert (result["address"], result["outcome"], result["sequence"]) == (
        "ann@example.org",
        "sent",
        1,
    )


def test_cancel_cancels_the_invite_for_everyone(world: World) -> None:
    auth = world.auth(world.organizer)
    response = world.client.post(f"/v1/invites/{world.invite}/cancel", headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "cancelled"
    summary = world.client.get(f"/v1/invites/{world.invite}", headers=auth).json()
    assert summary["status"] == "cancelled"


def test_a_cancelled_invite_is_sent_to_no_newcomer(world: World) -> None:
    auth = world.auth(world.organizer)
    world.client.post(f"/v1/invites/{world.invite}/cancel", headers=auth)
    response = world.client.post(
        f"/v1/invites/{world.invite}/recipients", headers=auth, json={"address": "ann@example.org"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["outcome"], body["message_id"]) == ("cancelled", None)
    assert "never received it" in body["reason"]
    schema = world.client.get("/v1/openapi.json").json()["components"]["schemas"]
    assert "cancelled" in schema["SendOutcome"]["enum"]


def test_the_report_is_emailed_to_the_organizer(world: World) -> None:
    auth = world.auth(world.organizer)
    world.client.post(
        f"/v1/invites/{world.invite}/recipients", headers=auth, json={"address": "ann@example.org"}
    )
    response = world.client.post(f"/v1/invites/{world.invite}/report", headers=auth)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "invite": str(world.invite),
        "emailed_to": ORGANIZER,
        "rows": 1,
        "by_status": {"no answer": 1},
    }
    outbox = world.container.settings().outbox_path
    assert any(ORGANIZER in path.read_text(errors="replace") for path in outbox.glob("*.eml"))
