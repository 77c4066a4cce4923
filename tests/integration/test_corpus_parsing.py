"""Every real message of the shared corpus through the inbound parser.

The expected values below were read off the files' raw text (decoding base64 and
quoted-printable parts by eye where needed), not copied from the parser's output; the UTC
offsets follow each zone's rules on the event's date.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.inbound.parser import EmailCalendarParser
from domain.messages import ItipMessage, ParsedMessage, Unusable
from domain.values import Method

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
NOT_MESSAGES = {"README.md", "MANIFEST.tsv"}
FILES = sorted(
    p.relative_to(CORPUS).as_posix()
    for p in CORPUS.rglob("*")
    if p.is_file() and p.name not in NOT_MESSAGES
)


@dataclass(frozen=True)
class Event:
    """An organizer's message: what its master (or first) component must say."""

    method: Method
    uid: str
    summary: str | None
    start: str | None
    end: str | None
    timezone: str | None
    sequence: int
    organizer: str | None


@dataclass(frozen=True)
class Reply:
    """An attendee's REPLY: who answered what."""

    uid: str
    attendee: str | None
    partstat: str | None


@dataclass(frozen=True)
class Refused:
    """An unusable message: its kind, and a word its reason must contain to be specific."""

    kind: str
    mentions: str


REQ, CANCEL, PUBLISH = Method.REQUEST, Method.CANCEL, Method.PUBLISH
BM_UID = "8ec4680fa0dda2d7202d704faa58ce25cac58670"
OBM_UID = "ea127690-0440-404b-af98-9823c855a283"
TB_START, TB_END = "2022-03-16T11:00:00+00:00", "2022-03-16T11:30:00+00:00"
BM_START, BM_END = "2012-05-30T14:00:00+00:00", "2012-05-30T17:30:00+00:00"
OBM_START, OBM_END = "2017-01-11T09:00:00+00:00", "2017-01-11T10:30:00+00:00"
ICLOUD_ALLDAY = "8153F823-B9F1-4BE0-ADFB-5FEEB01C08A9"
EXCHANGE = "040000008200E00074C5B7101A82E008"
TRUNCATED = Refused("malformed", "truncated")
NO_UID = Refused("malformed", "no UID")

EXPECTED: dict[str, Event | Reply | Refused] = {
    # request/
    "request/android-email-invite.eml": Event(
        REQ, "c59aa4cb-8515-4696-bb74-1b3e8711cb45", "Bbq",
        "2012-07-06T10:00:00+00:00", "2012-07-06T12:00:00+00:00", "UTC", 0,
        "david.phan@blue-mind.net",
    ),
    "request/bluemind-invite.eml": Event(
        REQ, BM_UID, "Test ICS Blue Mind", BM_START, BM_END, "UTC", 0, "david@bj.lan"
    ),
    "request/exchange2010-pacific-standard-time.ics": Event(
        REQ, EXCHANGE + "0000000090E19664858ED20100000000000000", "Test 4",
        "2017-02-24T12:00:00-08:00", "2017-02-24T12:30:00-08:00", "America/Los_Angeles", 0,
        None,
    ),
    "request/exchange2010-romance-tz.ics": Event(
        REQ,
        EXCHANGE + "00000000F9125A30B06BD0010000000000000000"
        "100000009D791C7548BFD144BFA54F14213CAD25",
        "Spot le chien", "2015-04-01T16:00:00+02:00", "2015-04-01T16:30:00+02:00",
        "Europe/Paris", 0, "test2@example.com",
    ),
    "request/gcal-request.ics": Event(
        REQ, "jvbroggos139aumnj4p5og9rd0@google.com", "the Strokes",
        "2015-03-19T23:30:00+00:00", "2015-03-20T00:30:00+00:00", "UTC", 0, "karim@nilas.com",
    ),
    "request/google-invite-de-qp-calendar.eml": Event(
        REQ, "5r5fab74aetove4tjjuhq6e7kr@google.com", "just a test",
        "2023-06-10T14:00:00+02:00", "2023-06-10T15:00:00+02:00", "Europe/Berlin", 0,
        "tommi.fricker@googlemail.com",
    ),
    "request/google-invite-windows1252-bodies.eml": Event(
        REQ, "c77u5rfv1m7rpujcicpimfip1g@google.com", "Demain avec tom@bm",
        "2012-05-30T09:00:00+00:00", "2012-05-30T12:00:00+00:00", "UTC", 0,
        "tcataldo@gmail.com",
    ),
    "request/icloud-invite-fr.eml": Event(
        REQ, "65BEB44C-9B9F-4DE3-BA5F-8153629CA077", "Nilas test drive",
        "2015-03-16T06:00:00+01:00", "2015-03-16T07:00:00+01:00", "Europe/Paris", 1,
        "dontspam@khamidou.com",
    ),
    "request/kde-libkcal-delegated.ics": Event(
        REQ, "ac6b0aee-2519-4e5c-9a25-48c57064c9f0", "iTip Test",
        "2013-07-03T18:30:00+00:00", "2013-07-03T20:30:00+00:00", "UTC", 0, "rolf@mykolab.com",
    ),
    "request/korganizer-escaped-cn.ics": Event(
        REQ, "4113ab9d-ffbb-aa00-c372-deb93de6b539", "Meeting w/Them",
        "2014-03-05T15:00:00+00:00", "2014-03-05T17:00:00+00:00", "UTC", 0,
        "organizor@example.org",
    ),
    "request/nc-google-request.eml": Event(
        REQ, "69d4c40b4a274636bf23517938df9673@example.org", "Imip Testing",
        "2025-02-20T19:00:00+01:00", "2025-02-20T20:00:00+01:00", "Europe/Berlin", 0,
        "alice@example.org",
    ),
    "request/nc-outlook-com-request.eml": Event(
        REQ, "1F0BD3F6FEFC421AAA5BE992D6992B6A", "Imip Testing",
        "2025-02-26T08:00:00+01:00", "2025-02-26T08:30:00+01:00", "Europe/Berlin", 0,
        "alice@example.org",
    ),
    "request/office365-invite-inline-image.eml": Event(
        REQ,
        EXCHANGE + "00000000DEE9BEDA6DF2D7010000000000000000"
        "100000007F3854933A325346B9433160D5F41CEA",
        "Test O365 invitation", "2021-12-17T08:00:00+00:00", "2021-12-17T08:30:00+00:00",
        "Atlantic/Reykjavik", 0, "outlook_18fbe5ca4758e317@outlook.com",
    ),
    "request/outlook-mac-invite-comma-tzid.eml": Event(
        REQ, "A93D8AAF-53FE-40D1-990B-C056E13727F2", "Réunion depuis outlook",
        "2012-05-27T20:00:00+02:00", "2012-05-27T20:30:00+02:00", "Europe/Warsaw", 0,
        "admin@willow.vmw",
    ),
    "request/outlook2010-single-part-calendar.eml": Event(
        REQ,
        EXCHANGE + "00000000C0DB025FCCB1CD010000000000000000"
        "1000000072FF529313A7EF4BAB4F711E6967F2CE",
        "Rdv depuis OTK 2010", "2012-10-24T00:00:00+02:00", "2012-10-24T00:30:00+02:00",
        "Europe/Paris", 0, "sylvain.garcia@blue-mind.net",
    ),
    "request/outlook365-invite-fle-tz.eml": Event(
        REQ,
        "030000008200E00074C5B7101A82E0080000000060B608D090DDD701"
        "0000000000000000100000004BE0CFFA54BCF64E956E34143362C3C0",
        "Testaus", "2021-11-27T09:00:00+02:00", "2021-11-27T09:30:00+02:00", "Europe/Kiev", 0,
        "marge@example.org",
    ),
    "request/podio-request-quote-in-summary.ics": Event(
        REQ, "20055546456446", 'Termin 4353 und"so"', "2022-02-22T18:30:00+00:00",
        "2022-02-22T19:30:00+00:00", "UTC", 0, None,
    ),
    "request/tb-single-event.eml": Event(
        REQ, "02e79b96", "Single Event", TB_START, TB_END, "UTC", 0, "sender@example.com"
    ),
    "request/teams-meeting-invite.eml": Event(
        REQ,
        "056000008200E00074C5B7101A82E008000000001AF84C64CBC8D601"
        "000000000000000010000000403B5AC10A0EB444A947D2B499A4B98C",
        "Teams meeting", "2020-12-02T19:00:00+02:00", "2020-12-02T21:00:00+02:00",
        "Europe/Kiev", 0, "marge@example.com",
    ),
    # update/
    "update/bluemind-invite-update.eml": Event(
        REQ, BM_UID, "Test ICS Blue Mind", BM_START, BM_END, "UTC", 1, "david@bj.lan"
    ),
    "update/exchange2010-seq4.ics": Event(
        REQ,
        EXCHANGE + "000000005853D6D90C4BD0010000000000000000"
        "100000000827DA11FE47F5489049C8464AB0838A",
        "Pommes", "2015-02-20T09:30:00+01:00", "2015-02-20T10:00:00+01:00", "Europe/Paris", 4,
        "inbox.apptest2@inboxapp.onmicrosoft.com",
    ),
    "update/gcal-selfsent-seq0.ics": Event(
        REQ, "burgos@google.com", "the Strokes", "2015-03-19T23:30:00+00:00",
        "2015-03-20T00:30:00+00:00", "UTC", 0, "inboxapptest@gmail.com",
    ),
    "update/gcal-selfsent-seq1.ics": Event(
        REQ, "burgos@google.com", "the Strokes", "2015-03-19T23:30:00+00:00",
        "2015-03-20T00:30:00+00:00", "UTC", 1, "inboxapptest@gmail.com",
    ),
    "update/outlook-mac-update.eml": Event(
        REQ, "A93D8AAF-53FE-40D1-990B-C056E13727F2", "Réunion depuis outlook",
        "2012-05-28T15:00:00+02:00", "2012-05-28T15:30:00+02:00", "Europe/Warsaw", 1,
        "admin@willow.vmw",
    ),
    "update/tb-update-minor.eml": Event(
        REQ, "02e79b96", "Updated Event", TB_START, TB_END, "UTC", 0, "sender@example.com"
    ),
    # cancel/
    "cancel/bluemind-cancel.eml": Event(
        CANCEL, BM_UID, "Test ICS Blue Mind", BM_START, BM_END, "UTC", 1, "david@bj.lan"
    ),
    "cancel/google-cancel-orig-request.ics": Event(
        REQ, "c74p2nmutcd0kt69ku7rs8vu2g@google.com", "Buffalo Buffalo",
        "2015-04-01T14:00:00+00:00", "2015-04-01T15:00:00+00:00", "UTC", 0,
        "inboxapptest.french@gmail.com",
    ),
    "cancel/google-cancel.ics": Event(
        CANCEL, "c74p2nmutcd0kt69ku7rs8vu2g@google.com", "Buffalo Buffalo",
        "2015-04-01T14:00:00+00:00", "2015-04-01T15:00:00+00:00", "UTC", 1,
        "inboxapptest.french@gmail.com",
    ),
    "cancel/icloud-cancel-orig-request.ics": Event(
        REQ, "5919D444-7C99-4687-A526-FC5D10091318", "New Era", "2015-03-31T04:30:00+02:00",
        "2015-03-31T05:30:00+02:00", "Europe/Paris", 0, "invalid@example.com",
    ),
    "cancel/icloud-cancel.ics": Event(
        CANCEL, "5919D444-7C99-4687-A526-FC5D10091318", "New Era", "2015-03-31T04:30:00+02:00",
        "2015-03-31T05:30:00+02:00", "Europe/Paris", 1, "invalid@example.com",
    ),
    "cancel/tb-cancel-single-event.eml": Event(
        CANCEL, "02e79b96", "Single Event", TB_START, TB_END, "UTC", 1, "sender@example.com"
    ),
    # allday/
    "allday/blackberry-bis-allday-request.ics": Event(
        REQ, "XRIMCAL-628059586-522954492-9750559", "Test meeting from BB", "2012-08-14",
        "2012-08-15", None, 2, "rembrand@daxlab.com",
    ),
    "allday/calendarserver-allday-no-attendees.ics": Event(
        REQ, ICLOUD_ALLDAY, "An all-day meeting about meetings", "2015-03-16", "2015-03-17",
        None, 0, "benbitdiddle@icloud.com",
    ),
    "allday/google-reply-allday-qp.eml": Reply(
        "e76b4686c75efde6b17ea24cb98c8d59dca65063", "marieg@isynet.org", "ACCEPTED"
    ),
    "allday/icloud-allday.ics": Event(
        REQ, ICLOUD_ALLDAY, "An all-day meeting about meetings", "2015-03-16", "2015-03-17",
        None, 0, "benbitdiddle@icloud.com",
    ),
    # recurring/
    "recurring/apple-ical5-monthly-with-exception.ics": Event(
        REQ, "7e93e8e8eef16f28aa33b78cd73613eb", "Recurring Test", "2013-07-17T08:00:00+02:00",
        "2013-07-17T13:00:00+02:00", "Europe/Zurich", 6, None,
    ),
    "recurring/exchange-cdo-daily-custom-tzid.ics": NO_UID,
    "recurring/exchange2010-weekly-count-invite.eml": Event(
        REQ,
        EXCHANGE + "00000000F0EBA5F1AF33CF010000000000000000"
        "100000001F957BD0CEDEFB4D83EC72D6FA6A49C9",
        "test périodique", "2014-02-28T13:00:00+01:00", "2014-02-28T14:00:00+01:00",
        "Europe/Paris", 0, "benoit.maurel@capgemini.com",
    ),
    "recurring/gcal-allday-weekly-until.ics": Event(
        REQ, "3f449c2mddkrkat2e803koqgt8@google.com", "test recurring event", "2014-08-10",
        "2014-08-11", None, 0, "charles@inboxapp.com",
    ),
    "recurring/gcal-weekly-recur.ics": Event(
        REQ, "flg2h6nam1cb1uqetgfkslrfrc@google.com", "Weekly Planning Meeting",
        "2015-01-12T13:30:00-08:00", "2015-01-12T14:30:00-08:00", "America/Los_Angeles", 0,
        "foobar@nilas.com",
    ),
    # Its first override says DTSTART 20140230: no such day, so no start (see the test below).
    "recurring/lotus-notes-recurrence-id-only.ics": Event(
        REQ, "7e93e8e8eef16f28aa33b78cd73613ebff", "Invitation with Recurrence-ID", None,
        None, None, 0, None,
    ),
    "recurring/tb-repeat-event.eml": Event(
        REQ, "02e79b96", "Repeat Event", TB_START, TB_END, "UTC", 0, "sender@example.com"
    ),
    "recurring/zimbra-publish-multi-tz.ics": Refused(
        "several-uids", "6d987654321321654987158ZAEZAEZAE"
    ),
    # encoding/
    "encoding/exchange-cdo-zoom-meeting-8bit.eml": Event(
        REQ,
        EXCHANGE + "00000000E043CD87B486D6010000000000000000"
        "1000000078E34F56EE69B94BAA6BDBDDEC654149",
        "Table de travail - axe administratif", "2020-09-17T13:30:00-04:00",
        # Its own TZID "GMT -0500 (Standard) / GMT -0400 (Daylight)" keeps New York's offsets.
        "2020-09-17T15:30:00-04:00", "America/New_York", 0,
        "mathieu.campbell2@urgences-sante.qc.ca",
    ),
    "encoding/moz-latin1-no-charset.ics": Refused("malformed", "Event One"),
    "encoding/nonascii-tzid-brasilia.ics": NO_UID,
    # attachment/
    "attachment/exchange-counter-calendar-named-attachment-txt.eml": TRUNCATED,
    "attachment/obm-request-inline-and-application-ics.eml": Event(
        REQ, OBM_UID, "Sprint planning #23", OBM_START, OBM_END, "UTC", 0, "alice@do.main.tld"
    ),
    "attachment/thunderbird-ics-attached-no-method-param.eml": Event(
        REQ, "121e57bf1b135ed875844ccdaee44272f99b7fd0", "A accepter",
        "2012-05-28T07:00:00+00:00", "2012-05-28T08:00:00+00:00", "UTC", 0, "tom@willow.vmw",
    ),
    "attachment/tnef-ipm-appointment.dat": Refused("tnef", "winmail.dat"),
    "attachment/tnef-winmail-meeting-request.dat": Refused("tnef", "winmail.dat"),
    # counter/
    "counter/bluemind-counter.ics": Event(
        Method.COUNTER, "f4c55eab-e32d-478d-b416-a74b52515f5c", "summary, my proposition",
        "2022-02-14T00:00:00+07:00", "2022-02-14T02:00:00+07:00", "Asia/Ho_Chi_Minh", 0,
        "external@ext-domain.lan",
    ),
    "counter/bluemind-declinecounter.ics": Event(
        Method.DECLINECOUNTER, "f4c55eab-e32d-478d-b416-a74b52515f5c",
        "summary, my proposition", "2022-02-14T00:00:00+07:00", "2022-02-14T02:00:00+07:00",
        "Asia/Ho_Chi_Minh", 0, "external@ext-domain.lan",
    ),
    "counter/exchange-counter-new-time-proposed.eml": TRUNCATED,
    "counter/ios-propose-new-time-as-reply.ics": Reply(
        "f22d978b-51cc-419d-b4ae-e85d09279ac4", "david@b-m.lan", "TENTATIVE"
    ),
    # reply/
    "reply/android-email-reply-accepted.eml": Reply(
        "6C5861338FC94376B376095E9884760B00000000000000000000000000000000",
        "david.phan@blue-mind.net", "ACCEPTED",
    ),
    "reply/bluemind-mapi-reply-no-cte.eml": Reply(
        "a0bd6c5b-dc96-49a0-ae45-089843c839df", "lucie.takvorian@blue-mind.net", "ACCEPTED"
    ),
    "reply/google-accepted.eml": Reply(
        "14ef516ad2e6ce325d5c8efcf9d7ddbfa30f9d15", "tcataldo@gmail.com", "ACCEPTED"
    ),
    "reply/google-declined.eml": Reply(
        "14ef516ad2e6ce325d5c8efcf9d7ddbfa30f9d15", "tcataldo@gmail.com", "DECLINED"
    ),
    "reply/google-reply-accepted.ics": Reply("cccc@nylas.com", "karim@example.com", "ACCEPTED"),
    "reply/google-reply-declined.ics": Reply("cccc@nylas.com", "karim@example.com", "DECLINED"),
    "reply/google-reply-tentative.ics": Reply("cccc@nylas.com", "test1@example.com", "TENTATIVE"),
    "reply/google-tentatively-accepted.eml": Reply(
        "14ef516ad2e6ce325d5c8efcf9d7ddbfa30f9d15", "tcataldo@gmail.com", "TENTATIVE"
    ),
    "reply/ios-reply-accepted-fr.eml": Reply("b84ce20", "admin@willow.vmw", "ACCEPTED"),
    "reply/ios-reply-declined-fr.eml": Reply("176dfc05", "admin@willow.vmw", "DECLINED"),
    "reply/lightning-obm-reply-singlepart.eml": Reply(
        "f1514f44bf39311568d6407249cb76c48103fcd1fb398c3c501cb72b2d293f36e04b2aab16e43439a608f2"
        "8671ab7c10e754cbc85ddee4a07fa8cf8f4f7af05bfb502b8f6",
        "user1to@linagora.com", "ACCEPTED",
    ),
    "reply/outlook-mac-accepted.eml": Reply(
        "f1394aba7ca8b9474af204a4d88934b7c7aa2191", "admin@willow.vmw", "ACCEPTED"
    ),
    "reply/outlook-mac-declined.eml": Reply(
        "F3B82EDE-26A7-48AF-B90C-3F99A005964C", "tom@willow.vmw", "DECLINED"
    ),
    # malformed/: broken in the wild, most of them still usable
    "malformed/apple-mail-reply-missing-attendee.eml": Reply(
        "1E71F9C8-AEDA-48EB-98D0-76E898F6BB5C", None, None
    ),
    "malformed/apple-mail-reply-missing-organizer.eml": Reply(
        "1E71F9C8-AEDA-48EB-98D0-76E898F6BB5C", None, None
    ),
    "malformed/apple-mail-reply-no-calendar-part.eml": Refused("no-calendar", "text/calendar"),
    "malformed/exchange-counter-bogus-charset.eml": TRUNCATED,
    "malformed/exchange-publish-tzid-with-colon-comma.ics": Event(
        PUBLISH, "040000100000008756B58E0AF70F4B8264349C19B4624C", "Première résa",
        "2024-01-17T11:00:00+01:00", "2024-01-17T11:30:00+01:00", "Europe/Paris", 0,
        "meltest@test.net",
    ),
    "malformed/gcal-bogus-sequence.ics": Event(
        REQ, "234252cccc@google.com", "Spot le chien", "2015-04-01T14:00:00+00:00",
        "2015-04-01T14:30:00+00:00", "UTC", 1407317367304, "test2@example.com",
    ),
    "malformed/gcal-duplicate-summary.ics": Event(
        REQ, "jvbogoss39aumnj4p5og9rd0@google.com", "The Strokes",
        "2015-03-19T23:30:00+00:00", "2015-03-20T00:30:00+00:00", "UTC", 0, "test@nilas.com",
    ),
    "malformed/google-request-tzid-unknown.ics": Refused(
        "several-uids", "30smvdkoolkjlklkkljkljkljkljvrdrkl7vlesogoi4s@google.com"
    ),
    "malformed/iphone-via-exchange-lossy-charset.ics": Event(
        REQ, "091BD1D08D29478193C4AD1C0E60965400000000000000000000000000000000",
        "Nouvel ?v?nement", "2014-12-27T16:00:00+01:00", "2014-12-27T17:00:00+01:00",
        "Europe/Paris", 0, "inbox.apptest2@inboxapp.onmicrosoft.com",
    ),
    "malformed/lotus-notes-concatenated-vcalendars.ics": Refused(
        "several-uids", "AAAA1C572093EC3FC125799C004AFFFF-Lotus_Notes_Generated"
    ),
    "malformed/meetup-publish-undefined-tzid.ics": Event(
        PUBLISH, "nih2h78am1cb1uqetgfkslrfrc@meetup.com",
        "Bay Area Video Game Development Meetup Group Monthly Meetup",
        "2011-04-19T17:00:00-07:00", "2011-04-19T17:00:00-07:00", "America/Los_Angeles", 0,
        "info@meetup.com",
    ),
    "malformed/nc-proton-bridge-no-method-param.eml": Event(
        REQ, "69d4c40b4a274636bf23517938df9673@example.org", "Imip Testing",
        "2025-02-20T19:00:00+01:00", "2025-02-20T20:00:00+01:00", "Europe/Berlin", 0,
        "alice@example.org",
    ),
    "malformed/obm-cancel-method-param-mismatch.eml": Event(
        CANCEL, OBM_UID, "Sprint planning #23", OBM_START, OBM_END, "UTC", 0,
        "alice@do.main.tld",
    ),
    "malformed/obm-ics-missing-method.eml": Event(
        REQ, OBM_UID, "Sprint planning #23", OBM_START, OBM_END, "UTC", 0, "alice@do.main.tld"
    ),
    "malformed/obm-invalid-status-value.eml": Event(
        REQ, OBM_UID, "Sprint planning #23", OBM_START, OBM_END, "UTC", 0,
        "ouazana@domain.tld",
    ),
    "malformed/obm-undefined-outlook-style-tzid.ics": Event(
        REQ,
        "f1514f44bf39311568d640727cff54e819573448d09d2e5677987ff29caa01a9e047fe"
        "b2aab16e43439a608f28671ab7c10e754ce92be513f8e04ae9ff15e65a9819cf285a6962bc",
        "Sprint planning #23", "2004-10-11T22:30:00-07:00", "2004-10-12T00:00:00-07:00",
        "America/Los_Angeles", 0, "ouazana@linagora.com",
    ),
    "malformed/outlook2010-attendee-invalid-uri.eml": Event(
        REQ,
        EXCHANGE + "00000000206A4EEA59DCCD010000000000000000"
        "10000000AAA0FD7CFF3E614A8420F4F30FA333D5",
        "Entretien Angelie Delay  / Infhotep - Procédures organigramme",
        "2013-01-09T10:45:00+01:00", "2013-01-09T12:15:00+01:00", "Europe/Paris", 1,
        "mrobert@infhotep.com",
    ),
    "malformed/reply-empty-vevent.eml": Reply("08985ae5-8e62-4f3e-971d-27c8b40cf838", None, None),
    # other/
    # The iMIP part (text/calendar; method=REQUEST) holds a VTODO: that is what was sent, even
    # though an attached event.ics copy holds a VEVENT (RFC 6047: the method part is the message).
    "other/bluemind-vtodo-request.eml": Refused("not-an-event", "VTODO"),
    "other/calendarserver-two-vevents.ics": Refused("malformed", "two different VEVENTs"),
    "other/davmail-vfreebusy-reply.ics": Refused("not-an-event", "VFREEBUSY"),
    "other/exchange2010-publish-eastern-unquoted-tzid.ics": Event(
        PUBLISH, "minimal-demo-event-est-20241028@example.com", "Anonymous Test Event for TZID",
        "2024-10-28T17:00:00-04:00", "2024-10-28T18:00:00-04:00", "America/New_York", 0, None,
    ),
    "other/google-invite-forwarded-by-thunderbird.eml": Event(
        REQ, "ah86k5m342bmcrbe9khkkhln00@google.com", None, "2017-01-20T13:00:00+00:00",
        "2017-01-20T14:00:00+00:00", "UTC", 0, "duprat@gmail.com",
    ),
    "other/ical4j-publish-non-invite.eml": Event(
        PUBLISH, "1e5fd4e6-bc52-439c-ac76-40da54f57c77@secure.example.com",
        "Party at John's house, Helsinki", "2021-11-29T10:55:00+02:00",
        "2021-11-29T11:00:00+02:00", "Europe/Helsinki", 3, "noreply@example.com",
    ),
    "other/publish-mixedcase-ctype.eml": Event(
        PUBLISH, "20160824T204000Z-568860280@example.com", "Haircut",
        "2016-09-01T06:25:00+00:00", "2016-09-01T06:50:00+00:00", "UTC", 0,
        "someone@example.com",
    ),
    "other/tb-event-with-file-uri-attach.eml": Event(
        REQ, "02e79b96-file", "File Attachment Event", TB_START, TB_END, "UTC", 0,
        "sender@example.com",
    ),
}  # fmt: skip


def parse(name: str, sender: str | None = None) -> ParsedMessage:
    return EmailCalendarParser().parse((CORPUS / name).read_bytes(), sender=sender)


def parsed_message(name: str) -> ItipMessage:
    result = parse(name)
    assert isinstance(result, ItipMessage), result
    return result


def test_the_table_covers_every_corpus_file_and_nothing_else() -> None:
    assert len(FILES) > 90, f"expected the shared corpus at {CORPUS}"
    assert set(FILES) == set(EXPECTED)


@pytest.mark.parametrize("name", FILES, ids=FILES)
def test_each_corpus_file_parses_to_its_one_expected_outcome(name: str) -> None:
    result = parse(name)
    expected = EXPECTED[name]
    assert isinstance(result, ItipMessage | Unusable)
    if isinstance(expected, Refused):
        assert isinstance(result, Unusable), result
        assert result.kind == expected.kind
        assert expected.mentions in result.reason
        assert len(result.reason) > 60
        return
    assert isinstance(result, ItipMessage), result
    assert result.uid == expected.uid
    component = result.master or result.components[0]
    if isinstance(expected, Reply):
        assert result.method is Method.REPLY
        attendees = component.details.attendees
        if expected.attendee is None:
            assert attendees == ()
        else:
            assert [(a.address, a.partstat) for a in attendees] == [
                (expected.attendee, expected.partstat)
            ]
        return
    details = component.details
    assert result.method is expected.method
    assert (details.summary, details.start, details.end) == (
        expected.summary,
        expected.start,
        expected.end,
    )
    assert details.timezone == expected.timezone
    assert details.all_day is (expected.start is not None and "T" not in expected.start)
    assert component.sequence == expected.sequence
    assert result.organizer == expected.organizer


def test_lotus_overrides_without_master_keep_their_instances() -> None:
    message = parsed_message("recurring/lotus-notes-recurrence-id-only.ics")
    first, second = message.components
    assert message.master is None
    assert (first.recurrence_id, first.this_and_future) == ("2014-02-27T13:00:00+00:00", True)
    assert (first.details.start, first.details.end) == (None, None)
    assert (second.recurrence_id, second.this_and_future, second.sequence) == (
        "2014-03-05T14:00:00+00:00",
        False,
        2,
    )
    assert (second.details.start, second.details.end, second.details.timezone) == (
        "2014-03-05T15:00:00+01:00",
        "2014-03-05T16:30:00+01:00",
        "Europe/Berlin",
    )
    # Feb 30 is no date, and the server changes one occurrence at a time: both said, not silent.
    first_change = "the change to the occurrence of 2014-02-27T13:00:00+00:00"
    assert message.losses == (
        f"the DTSTART '20140230T150000' of {first_change} is not a valid date or time, "
        "so it is left out",
        f"the DTEND '20140230T163000' of {first_change} is not a valid date or time, "
        "so it is left out",
        f"{first_change} says RANGE=THISANDFUTURE, but only that occurrence is changed, "
        "not the ones after it",
    )


def rrule_parts(rrule: str | None) -> dict[str, str]:
    assert rrule is not None
    return dict(item.split("=", 1) for item in rrule.split(";"))


def test_apple_monthly_rule_exdates_and_exception_instance() -> None:
    message = parsed_message("recurring/apple-ical5-monthly-with-exception.ics")
    master, exception = message.components
    assert rrule_parts(master.details.rrule) == {
        "FREQ": "MONTHLY",
        "INTERVAL": "1",
        "UNTIL": "20140718T215959Z",
        "BYDAY": "3WE",
    }
    # EXDATEs at 08:00 Europe/Zurich: CET in December, CEST in April.
    assert master.details.exdates == ("2013-12-18T07:00:00+00:00", "2014-04-15T06:00:00+00:00")
    assert exception.recurrence_id == "2014-05-21T08:00:00+00:00"
    assert (exception.details.summary, exception.details.start) == (
        "Recurring Test (Exception)",
        "2014-05-21T10:00:00+02:00",
    )


def test_recurrence_rules_are_kept_as_rfc5545_text() -> None:
    weekly = parsed_message("recurring/exchange2010-weekly-count-invite.eml").components[0]
    assert rrule_parts(weekly.details.rrule) == {
        "FREQ": "WEEKLY",
        "COUNT": "10",
        "INTERVAL": "1",
        "BYDAY": "FR",
        "WKST": "MO",
    }
    allday = parsed_message("recurring/gcal-allday-weekly-until.ics").components[0]
    assert rrule_parts(allday.details.rrule) == {
        "FREQ": "WEEKLY",
        "UNTIL": "20140928",
        "BYDAY": "SU,WE,SA",
    }


def test_zoom_invite_sent_by_a_delegate_names_both() -> None:
    message = parsed_message("encoding/exchange-cdo-zoom-meeting-8bit.eml")
    assert message.organizer_name == "Mathieu Campbell, Directeur"
    assert message.sent_by == "elizabeth.coleman@urgences-sante.qc.ca"
    assert message.sender == "mathieu.campbell2@urgences-sante.qc.ca"
    names = [a.name for a in message.components[0].details.attendees]
    assert "Lucie Ménard" in names
    assert "Élisa Connangle" in names


def test_delegation_parameters_become_addresses() -> None:
    attendees = parsed_message("request/kde-libkcal-delegated.ics").components[0].details.attendees
    by_address = {a.address: a for a in attendees}
    assert by_address["rolf2@mykolab.com"].delegated_from == ("carl@mykolab.com",)
    assert by_address["carl@mykolab.com"].delegated_to == ("rolf2@mykolab.com",)
    assert by_address["carl@mykolab.com"].partstat == "DELEGATED"
    assert by_address["carl@mykolab.com"].rsvp is False


def test_quoted_and_escaped_common_names_are_unescaped() -> None:
    attendees = parsed_message("request/korganizer-escaped-cn.ics").components[0].details.attendees
    assert [a.name for a in attendees] == ["Master of Desaster", "Doe, John", "Kolab, Thomas"]


def test_attendee_without_an_email_address_is_skipped() -> None:
    message = parsed_message("malformed/outlook2010-attendee-invalid-uri.eml")
    attendees = message.components[0].details.attendees
    assert [(a.address, a.name, a.role, a.rsvp) for a in attendees] == [
        ("rkidai@mairie-saint-ouen.fr", "Rachid KIDAI", "OPT-PARTICIPANT", True)
    ]


def test_icloud_request_and_cancel_name_the_same_organizer() -> None:
    request = parsed_message("cancel/icloud-cancel-orig-request.ics")
    cancel = parsed_message("cancel/icloud-cancel.ics")
    assert request.organizer == cancel.organizer == "invalid@example.com"
    assert (request.method, cancel.method) == (Method.REQUEST, Method.CANCEL)


def test_status_values_are_kept_only_when_valid() -> None:
    assert parsed_message("cancel/google-cancel.ics").components[0].details.status == "CANCELLED"
    invalid = parsed_message("malformed/obm-invalid-status-value.eml")
    assert invalid.components[0].details.status is None


def test_minor_update_moves_only_dtstamp() -> None:
    first = parsed_message("request/tb-single-event.eml").components[0]
    minor = parsed_message("update/tb-update-minor.eml").components[0]
    assert first.sequence == minor.sequence == 0
    assert first.dtstamp is not None
    assert first.dtstamp.isoformat() == "2022-03-16T19:16:02+00:00"
    assert minor.dtstamp is not None
    assert minor.dtstamp.isoformat() == "2022-03-18T19:16:02+00:00"


def test_sender_is_the_from_address_even_when_it_is_not_the_organizer() -> None:
    message = parsed_message("other/google-invite-forwarded-by-thunderbird.eml")
    assert (message.sender, message.organizer) == ("duprat@linagora.com", "duprat@gmail.com")


def test_bare_calendar_takes_the_envelope_sender() -> None:
    without = parse("request/gcal-request.ics")
    with_sender = parse("request/gcal-request.ics", sender=" <MAILTO:Karim@Nilas.com> ")
    assert isinstance(without, ItipMessage)
    assert isinstance(with_sender, ItipMessage)
    assert (without.sender, with_sender.sender) == (None, "karim@nilas.com")


def test_prodid_is_reported() -> None:
    message = parsed_message("request/android-email-invite.eml")
    assert message.prodid == "AndroidEmail"
