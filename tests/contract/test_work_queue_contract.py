"""One contract for every work queue: in memory and on SQS (moto)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator

import pytest

from adapters.queues.memory import MemoryWorkQueue
from adapters.queues.sqs import SqsWorkQueue
from application.ports import Job, Received, WorkQueue

# Puts a taken, unfinished job back in reach, as a visibility timeout does.
Expire = Callable[[], None]


@pytest.fixture(params=["memory", "sqs"])
def queue(request: pytest.FixtureRequest) -> Iterator[tuple[WorkQueue, Expire]]:
    if request.param == "memory":
        memory = MemoryWorkQueue()
        yield memory, memory.give_back
        return
    request.getfixturevalue("aws")
    import boto3

    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName=f"work-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    taken: list[str] = []
    adapter = SqsWorkQueue(url, region="us-east-1")
    original = adapter.receive

    def receive(limit: int = 10, wait: float = 0) -> list[Received]:
        batch = original(limit, wait)
        taken.extend(r.handle for r in batch)
        return batch

    def expire() -> None:
        for handle in taken:
            # A deleted (done) message has no visibility left to change.
            with contextlib.suppress(sqs.exceptions.ReceiptHandleIsInvalid):
                sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0
                )
        taken.clear()

    adapter.receive = receive  # type: ignore[method-assign]
    yield adapter, expire


def _jobs(count: int) -> list[Job]:
    invite = uuid.uuid4()
    return [Job("catch-up", invite, page=n) for n in range(count)]


def _take_all(queue: WorkQueue) -> list[Job]:
    found = []
    while batch := queue.receive(10):
        for received in batch:
            assert received.job is not None
            found.append(received.job)
            queue.done(received)
    return found


def test_every_job_put_is_received_once_and_done_jobs_are_gone(
    queue: tuple[WorkQueue, Expire],
) -> None:
    work, expire = queue
    jobs = _jobs(23)  # more than one SQS batch of ten
    work.put(jobs)
    assert sorted(_take_all(work), key=lambda j: j.page) == jobs
    expire()
    assert work.receive(10) == []


def test_a_job_taken_but_not_done_comes_back(queue: tuple[WorkQueue, Expire]) -> None:
    work, expire = queue
    [job] = _jobs(1)
    work.put([job])
    [first] = work.receive(10)
    assert first.job == job
    assert work.receive(10) == []  # hidden from other workers while one has it
    expire()
    [again] = work.receive(10)
    assert again.job == job


def test_bulk_jobs_keep_every_field(queue: tuple[WorkQueue, Expire]) -> None:
    work, _ = queue
    job = Job("bulk", uuid.uuid4(), message="ab" * 32, first=500, count=500, part=2, parts=3)
    work.put([job])
    assert _take_all(work) == [job]


def test_an_unreadable_body_is_reported_and_left_on_the_queue(aws: None) -> None:
    import boto3

    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName=f"work-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    for body in ("not json", "[1]", '{"kind": "resend", "invite": "x"}', '{"kind": "bulk"}'):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    received = SqsWorkQueue(url, region="us-east-1").receive(10)
    problems = sorted(str(r.problem) for r in received)
    assert all(r.job is None for r in received)
    assert len(problems) == 4
    assert any(p.startswith("not JSON") for p in problems)
    assert "not a JSON object" in problems
    assert "unknown job kind: 'resend'" in problems
    assert any(p.startswith("malformed bulk job") for p in problems)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"kind": "catch-up", "invite": "nope"}, "malformed catch-up job"),
        ({"kind": "catch-up", "invite": str(uuid.UUID(int=1)), "page": "x"}, "malformed"),
        ({"kind": "bulk", "invite": str(uuid.UUID(int=1))}, "names the kept raw message"),
    ],
)
def test_malformed_jobs_say_what_is_wrong(data: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Job.from_dict(data)
