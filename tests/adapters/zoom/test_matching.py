"""Who a Zoom participant is: zoom_email, then registrant id, then e-mail, then alias."""

from __future__ import annotations

from bot.core.attendance.presence import PeopleIndex, guest_key
from bot.core.domain import Person
from bot.core.events import Identity

PEOPLE = (
    Person(id="p-001", display_name="J.", zoom_email="Jay@Example.org"),
    Person(id="p-002", display_name="M.", zoom_registrant_id="reg-002", email="jay@example.org"),
    Person(id="p-003", display_name="A.", aliases=("Sam  K", "Sammy")),
    Person(id="p-004", display_name="K.", aliases=("iPhone",)),
    Person(id="p-005", display_name="R.", aliases=("iphone",)),
    Person(id="p-006", display_name="forgotten", zoom_email="gone@example.org", forgotten=True),
    Person(id="p-007", display_name="D.", discord_user_id="111", email="dee@example.org"),
)
INDEX = PeopleIndex.of(PEOPLE)


def who(**kw: str) -> str | None:
    p = INDEX.match("zoom", Identity(**kw))
    return p.id if p else None


def test_zoom_email_first_case_insensitive() -> None:
    assert who(email="  JAY@example.ORG ") == "p-001"
    # zoom_email wins over another person's contact e-mail, and over a registrant id
    assert who(email="jay@example.org", registrant_id="reg-002") == "p-001"


def test_then_registrant_id_then_contact_email_then_alias() -> None:
    assert who(email="unknown@example.org", registrant_id="reg-002") == "p-002"
    assert who(email="dee@example.org", display_name="Sammy") == "p-007"
    assert who(display_name="sam k") == "p-003"
    assert who(display_name="  SAMMY ") == "p-003"
    assert who(display_name="Sam", email="") is None


def test_display_name_alone_is_not_enough() -> None:
    # the configured display name is not an alias: "A." in a meeting is not evidence
    assert who(display_name="A.") is None


def test_ambiguous_alias_and_forgotten_people_match_nobody() -> None:
    assert who(display_name="iPhone") is None
    assert who(email="gone@example.org") is None


def test_platform_ids_match_only_on_their_platform() -> None:
    assert INDEX.match("discord", Identity(platform_user_id="111")).id == "p-007"  # type: ignore[union-attr]
    assert INDEX.match("zoom", Identity(platform_user_id="111")) is None
    assert INDEX.match("console", Identity(platform_user_id="p-003")).id == "p-003"  # type: ignore[union-attr]


def test_guest_keys_are_stable_and_name_nobody() -> None:
    a = guest_key("zoom", Identity(display_name="Robin's iPhone"))
    assert a == guest_key("zoom", Identity(display_name="  robin's   IPHONE "))
    assert a.startswith("zoom:") and "robin" not in a.lower()
    assert guest_key("zoom", Identity(email="x@example.org", display_name="A")) == guest_key(
        "zoom", Identity(email="X@example.org", display_name="B")
    )


def _by_the_table(index: PeopleIndex, source: str, who: Identity) -> Person | None:
    """The match as a plain walk of the tables in order (every key folded up front)."""
    if who.platform_user_id:
        if source in ("console", "cli"):
            found = index.by_id.get(who.platform_user_id)
        else:
            found = index.by_platform.get((source, who.platform_user_id))
        if found is not None:
            return found
    email = " ".join((who.email or "").split()).casefold()
    for table, key in (
        (index.by_zoom_email, email),
        (index.by_registrant, (who.registrant_id or "").strip()),
        (index.by_email, email),
        (index.by_alias, " ".join((who.display_name or "").split()).casefold()),
    ):
        if key and table.get(key) is not None:
            return table[key]
    return None


def test_match_agrees_with_a_plain_walk_of_the_tables() -> None:
    emails = (
        None,
        "",
        " ",
        "JAY@example.org",
        "jay@example.org",
        "dee@example.org",
        "gone@example.org",
        "x@y",
    )
    registrants = (None, "", " reg-002 ", "reg-404")
    names = (None, "", "Sammy", "sam  K", "iPhone", "A.", "nobody")
    platform_ids = (None, "111", "p-003")
    for source in ("zoom", "discord", "console"):
        for email in emails:
            for registrant in registrants:
                for name in names:
                    for uid in platform_ids:
                        ident = Identity(
                            email=email,
                            registrant_id=registrant,
                            display_name=name,
                            platform_user_id=uid,
                        )
                        assert INDEX.match(source, ident) == _by_the_table(INDEX, source, ident)
