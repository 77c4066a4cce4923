"""The sender policy from the command line: `cis ingest` verifies as the drop box does, `cis
message` says why a message was refused, and `cis organizers address|policy` manage the ways in.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.e2e.test_cli import cis
from tests.invite_mail import ALICE, calendar, email_of
from tests.mail_auth import SigningDomain

EXAMPLE = SigningDomain("example.com")


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``cis`` under policy dmarc, its DNS a zone file publishing example.com's key."""
    zone = tmp_path / "zone.json"
    zone.write_text(json.dumps(EXAMPLE.records()))
    policy = {"CIS_SENDER_POLICY": "dmarc", "CIS_DNS_ZONE_FILE": str(zone)}
    return cis(tmp_path / "data", *args, env=policy)


def ingest(tmp_path: Path, name: str, raw: bytes, *args: str) -> dict[str, object]:
    path = tmp_path / name
    path.write_bytes(raw)
    result = run(tmp_path, "ingest", *args, str(path))
    assert result.returncode == 0, result.stderr
    line: dict[str, object] = json.loads(result.stdout)
    return line


def test_ingest_applies_the_policy_and_message_says_why(tmp_path: Path) -> None:
    signed = ingest(tmp_path, "signed.eml", EXAMPLE.sign(email_of(calendar(), ALICE)))
    forged = ingest(tmp_path, "forged.eml", email_of(calendar(uid="x-2@example.com"), ALICE))
    assert (signed["outcome"], forged["outcome"]) == ("created", "rejected")
    shown = run(tmp_path, "message", str(forged["message"]))
    assert shown.returncode == 0, shown.stderr
    receipt = json.loads(shown.stdout)
    assert receipt["outcome"] == "rejected"
    assert receipt["sender"]["authentication"]["aligned"] is False
    assert receipt["sender"]["authentication"]["checked_by"] == "this server"
    assert "not DMARC-aligned" in receipt["reason"]
    accepted = json.loads(run(tmp_path, "message", str(signed["message"])).stdout)
    assert accepted["sender"]["vouched_by"] == "DMARC alignment (dkim example.com)"
    assert run(tmp_path, "message", "0" * 64).returncode == 1


def test_a_private_address_lets_an_unsigned_domain_in(tmp_path: Path) -> None:
    policy = run(tmp_path, "organizers", "policy", "example.com", "dmarc-or-private")
    assert json.loads(policy.stdout) == {
        "domain": "example.com",
        "policy": "dmarc-or-private",
        "effective": "dmarc-or-private",
    }
    issued = json.loads(run(tmp_path, "organizers", "address", ALICE).stdout)
    assert str(issued["create"]).startswith("create+")
    unsigned = email_of(calendar(), ALICE)
    result = ingest(tmp_path, "unsigned.eml", unsigned, "--to", str(issued["create"]))
    assert result["outcome"] == "created"
    revoked = run(tmp_path, "organizers", "address", ALICE, "--revoke")
    assert json.loads(revoked.stdout) == {"organizer": ALICE, "revoked": True}
    later = email_of(calendar(sequence=1, location="Room 9"), ALICE)
    again = ingest(tmp_path, "later.eml", later, "--to", str(issued["create"]))
    assert again["outcome"] == "rejected"
