"""The dispatcher over the SMS stand-in: a 429 with Retry-After holds the whole SMS
channel (not just the message refused), and no other channel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.sms.notifier import SmsNotifier
from bot.core.actions import DirectMessage
from bot.core.clock import FakeClock
from bot.core.domain import Person
from bot.core.outbox import Kind, OutboxItem, OutboxStatus
from bot.core.outreach.delivery import Dispatcher
from bot.core.ports import Delivery
from storage.memory import MemoryStore
from tests.fakes.sms import FakeSms, Reply, twilio_error

NOW = datetime(2026, 5, 4, 21, 45, tzinfo=UTC)
TEXTERS = [
    Person(id=f"t-{i}", display_name="T", phone=f"+1555000000{i}", channels=("sms",))
    for i in range(3)
]
CHATTER = Person(id="c-0", display_name="C", channels=("chat",))


class Chat:
    channel = "chat"

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def deliver(self, person: Person, message: DirectMessage) -> Delivery:
        self.sent.append(message.key)
        return Delivery.DELIVERED


def _item(key: str, person: Person) -> OutboxItem:
    return OutboxItem(key=key, kind=Kind.NUDGE, person_id=person.id, due_at=NOW, text="hello")


async def test_a_429_with_retry_after_holds_every_sms_and_only_sms(twilio: FakeSms) -> None:
    store = MemoryStore()
    for p in [*TEXTERS, CHATTER]:
        await store.upsert_person(p)
    clock = FakeClock(NOW)
    sms = SmsNotifier(twilio.config(), timeout=5.0)
    chat = Chat()
    dispatcher = Dispatcher(store, clock, notifiers={"sms": [sms], "chat": [chat]})
    try:
        twilio.replies.append(Reply(429, twilio_error(20429, 429), headers={"Retry-After": "120"}))
        await store.enqueue([_item("first", TEXTERS[0])])
        assert await dispatcher.drain() == 1
        assert len(twilio.requests) == 1
        [refused] = await store.outbox_items(status=OutboxStatus.PENDING)
        assert refused.sending_at is None  # a 429 proves nothing went out

        clock.advance(timedelta(seconds=10))
        await store.enqueue(
            [_item("second", TEXTERS[1]), _item("third", TEXTERS[2]), _item("chat", CHATTER)]
        )
        assert await dispatcher.drain() == 3
        assert len(twilio.requests) == 1  # the other texts wait out the Retry-After
        assert chat.sent == ["chat"]  # the chat message does not
        [first] = await store.outbox_items(status=OutboxStatus.PENDING)
        assert first.key == "first" and first.next_attempt_at is not None
        assert first.next_attempt_at >= NOW + timedelta(seconds=120)
        # nothing was attempted for the two held texts: no attempt is counted, their claim
        # is parked until the hold ends
        parked = await store.outbox_items(status=OutboxStatus.CLAIMED)
        assert sorted(i.key for i in parked) == ["second", "third"]
        for i in parked:
            assert i.attempts == 0 and i.claimed_until is not None
            assert i.claimed_until >= NOW + timedelta(seconds=120)

        clock.advance(timedelta(minutes=3))
        assert await dispatcher.drain() == 3
        assert len(twilio.requests) == 4
        sent = await store.outbox_items(status=OutboxStatus.SENT)
        assert sorted(i.key for i in sent) == ["chat", "first", "second", "third"]
    finally:
        await sms.close()
