"""Group commit in the folder blob store: messages kept together, each with its own envelope.

``put_many`` keeps a group with one sync per file, issued at once, and one per folder; ``put``
calls from threads at the same moment (a flood on the drop box) sync concurrently. Either way,
once a call returns, its messages are in place with their envelopes, exactly as one ``put`` at a
time would leave them; a group that cannot be written raises and leaves nothing half done.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.storage.blob_files import content_key
from adapters.storage.blobs import ARRIVALS, FolderBlobStore
from application.kept_mail import Envelope

WHEN = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def envelope(n: int) -> Envelope:
    return Envelope(to=f"create+{n}@invites.example", sender="a@example.com", received=WHEN)


def test_a_group_is_kept_whole_each_message_with_its_first_envelope(tmp_path: Path) -> None:
    store = FolderBlobStore(tmp_path / "messages")
    already = store.put(b"message 0", envelope(0))
    group = [(f"message {n}".encode(), envelope(n)) for n in range(20)]
    group.append((b"message 3", envelope(99)))  # the same bytes again: the first copy's

    keys = store.put_many(group)

    assert keys[0] == already
    assert keys[3] == keys[-1]
    for n in range(20):
        assert store.get(keys[n]) == f"message {n}".encode()
        assert store.envelope(keys[n]) == envelope(n)
    log = (tmp_path / "messages" / ARRIVALS).read_text().split()
    assert sorted(log) == sorted(set(keys))
    assert len(log) == 20
    assert store.arrivals() == keys[:20]
    assert not list((tmp_path / "messages").rglob("*.incoming"))


def test_a_damaged_copy_in_the_group_is_replaced(tmp_path: Path) -> None:
    store = FolderBlobStore(tmp_path / "messages")
    key = store.put(b"message 1", envelope(1))
    path = tmp_path / "messages" / key[:2] / f"{key}.eml"
    path.write_bytes(b"truncat")

    assert store.put_many([(b"message 1", envelope(2)), (b"message 2", None)])[0] == key

    assert store.get(key) == b"message 1"
    assert store.envelope(key) == envelope(2)
    assert list((tmp_path / "messages" / "quarantine").iterdir())


def test_puts_from_threads_at_once_are_all_kept(tmp_path: Path) -> None:
    store = FolderBlobStore(tmp_path / "messages")
    start = threading.Barrier(8)
    keys: dict[int, str] = {}

    def flood(worker: int) -> None:
        start.wait()
        for n in range(worker * 25, worker * 25 + 25):
            keys[n] = store.put(f"flooded {n}".encode(), envelope(n))

    threads = [threading.Thread(target=flood, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(keys) == 200
    for n, key in keys.items():
        assert store.get(key) == f"flooded {n}".encode()
        assert store.envelope(key) == envelope(n)
    assert sorted(store.arrivals()) == sorted(keys.values())


def test_a_group_that_cannot_be_written_raises_and_keeps_nothing_half_done(
    tmp_path: Path,
) -> None:
    store = FolderBlobStore(tmp_path / "messages")
    group = [(f"message {n}".encode(), envelope(n)) for n in range(10)]
    blocked = tmp_path / "messages" / content_key(group[-1][0])[:2]
    blocked.parent.mkdir(parents=True)
    blocked.write_bytes(b"")  # a file where a shard folder should be: nothing goes there

    with pytest.raises(FileExistsError):
        store.put_many(group)

    assert not list((tmp_path / "messages").rglob("*.eml"))
    assert not list((tmp_path / "messages").rglob("*.incoming"))
    blocked.unlink()
    # Offered again once the folder can be written (the sender's retry), all are kept.
    again = store.put_many(group)
    assert [store.envelope(key) for key in again] == [envelope(n) for n in range(10)]
