"""The test casts — who is in the program, which groups meet where — as rollcall.toml
text. `config_text` is the one writer; each suite's cast is a builder below, so a
suite states only what is its own (a platform section, ids, names).

Names in the casts are short and invented; tests that check that no name leaks
read them from here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.fakes import zoom

Table = Mapping[str, Any]

NEW_YORK = "America/New_York"


def person(pid: str, display_name: str, **fields: Any) -> dict[str, Any]:
    return {"id": pid, "display_name": display_name, **fields}


def facilitator(pid: str, display_name: str, **fields: Any) -> dict[str, Any]:
    return person(pid, display_name, role="facilitator", **fields)


def group(gid: str, name: str, **fields: Any) -> dict[str, Any]:
    return {"id": gid, "name": name, **fields}


def config_text(
    *,
    storage: str,
    program: Table,
    people: Sequence[Table] = (),
    groups: Sequence[Table] = (),
    closures: Sequence[Table] = (),
    **sections: Table,
) -> str:
    """A rollcall.toml: `[storage] url`, the other sections in the order given
    (`server=…`, `slack=…`, `sms=…`), `[program]` with its sub-tables, then the
    `[[people]]`, `[[groups]]` and `[[closures]]`."""
    out = [*_table("storage", {"url": storage})]
    for name, values in sections.items():
        out += _table(name, values)
    out += _table("program", program)
    for p in people:
        out += _table("people", p, array=True)
    for g in groups:
        out += _table("groups", g, array=True)
    for c in closures:
        out += _table("closures", c, array=True)
    return "\n".join(out) + "\n"


def _table(name: str, values: Table, *, array: bool = False) -> list[str]:
    lines = [f"[[{name}]]" if array else f"[{name}]"]
    subtables = []
    for key, value in values.items():
        if isinstance(value, Mapping) and not array:
            subtables.append((f"{name}.{key}", value))
        else:
            lines.append(f"{key} = {_value(value)}")
    for sub, sub_values in subtables:
        lines += _table(sub, sub_values)
    return lines


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, Sequence):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


# -- the casts --------------------------------------------------------------------------
#: the CLI, console, server and demo suites (tests/e2e): a facilitator, an admin, eight
#: participants, two groups without a schedule (ad-hoc sessions only)
E2E_GROUP, E2E_OTHER_GROUP = "adhoc", "other"


def e2e_cast(*, storage_url: str, port: int = 0) -> str:
    names = ("Jordan", "Morgan", "Avery", "Kendall", "Riley", "Casey", "Quinn", "Sage")
    people = [facilitator("f-001", "Dr. Rivera"), person("a-001", "Coordinator Lee", role="admin")]
    for i, name in enumerate(names, 1):
        extra = {"email": "kendall@example.org"} if name == "Kendall" else {}
        people.append(person(f"p-{i:03d}", name, **extra))
    return config_text(
        storage=storage_url,
        server={"host": "127.0.0.1", "port": port},
        program={"name": "Test IOP", "timezone": NEW_YORK},
        people=people,
        groups=[
            group(
                E2E_GROUP,
                "Ad-hoc Group",
                facilitators=["f-001"],
                participants=[f"p-{i:03d}" for i in range(1, 8)],
            ),
            group(E2E_OTHER_GROUP, "Other Group", facilitators=["f-001"], participants=[]),
        ],
    )


#: the scheduling suites (tests/unit/test_autopilot.py and the reminder, digest and
#: reply suites built on its Week): Group A meets Mon/Wed/Fri 6–9 PM, Group B Tue/Thu
#: mornings with nobody enrolled, and Friday Nov 6 2026 is a staff day
def week_cast(**program: Any) -> str:
    """`program`: more `[program]` keys (`contact=…`)."""
    return config_text(
        storage="memory://",
        program={
            "name": "Evening",
            "timezone": NEW_YORK,
            **program,
            "reminders": {"before": ["24h", "15m"], "quiet_hours": "21:00-08:00"},
        },
        people=[
            facilitator("f-001", "Dr. R."),
            person("p-001", "J."),
            person("p-002", "M."),
            person("p-003", "K.", timezone="America/Los_Angeles"),
        ],
        groups=[
            group(
                "ga",
                "Group A",
                schedule={"rrule": "FREQ=WEEKLY;BYDAY=MO,WE,FR", "start": "18:00", "minutes": 180},
                facilitators=["f-001"],
                participants=["p-001", "p-002", "p-003"],
                zoom_meeting_id="111",
            ),
            group(
                "gb",
                "Group B",
                schedule={"rrule": "FREQ=WEEKLY;BYDAY=TU,TH", "start": "10:00", "minutes": 180},
                capacity=10,
                facilitators=["f-001"],
            ),
        ],
        closures=[{"date": "2026-11-06", "reason": "staff day"}],
    )


#: the Slack suites: a daily 6–9 PM group bound to channel C0001
SLACK_NAMES = ("Jordan Q.", "Morgan Z.", "Alex V.", "Dr. R.")


def slack_cast(*, storage: str, api: str, secret: str, mode: str = "http") -> str:
    return config_text(
        storage=storage,
        server={"port": 0},
        slack={
            "enabled": True,
            "mode": mode,
            "bot_token": "xoxb-test",
            "signing_secret": secret,
            "app_token": "xapp-test",
            "api_base_url": api,
        },
        program={"name": "Evening IOP", "timezone": NEW_YORK},
        people=[
            facilitator("f-001", SLACK_NAMES[3], slack_user_id="U0F001"),
            person("p-001", SLACK_NAMES[0], slack_user_id="U0001"),
            person("p-002", SLACK_NAMES[1], slack_user_id="U0002"),
            person("p-003", SLACK_NAMES[2], slack_user_id="U0003"),
        ],
        groups=[
            group(
                "evening-a",
                "Evening Group A",
                schedule={"rrule": "FREQ=DAILY", "start": "18:00", "minutes": 180},
                facilitators=["f-001"],
                participants=["p-001", "p-002", "p-003"],
                slack_channel="C0001",
            )
        ],
    )


def discord_cast(
    *,
    storage: str,
    api: str,
    users: Sequence[str],
    guild: str,
    text: str,
    voice: str,
    sharded: bool = False,
) -> str:
    """`users`: the Discord ids of the facilitator, then of p-001 … p-004."""
    fac, *participants = users
    names = ("J.", "M.", "A.", "K.")
    discord: dict[str, Any] = {"enabled": True}
    if sharded:
        discord["sharded"] = True
    discord |= {"token": "test-token", "api_base_url": api}
    return config_text(
        storage=storage,
        server={"port": 0},
        discord=discord,
        program={"name": "Test IOP", "timezone": NEW_YORK},
        people=[
            facilitator("f-001", "Dr. R.", discord_user_id=fac),
            *(
                person(f"p-{i:03d}", name, discord_user_id=uid)
                for i, (name, uid) in enumerate(zip(names, participants, strict=True), 1)
            ),
        ],
        groups=[
            group(
                "evening-a",
                "Evening Group A",
                facilitators=["f-001"],
                participants=["p-001", "p-002", "p-003", "p-004"],
                discord_guild_id=guild,
                discord_text_channel_id=text,
                discord_voice_channel_id=voice,
            )
        ],
    )


def zoom_cast(
    db: Path,
    *,
    secret: str = zoom.SECRET,
    meeting: str = zoom.MEETING_SPACED,
    group_id: str = "evening-a",
    full: bool = True,
) -> str:
    """The Zoom suites: people matched by e-mail, registrant id or alias; the meeting
    id as Zoom shows it. `full` adds a second facilitator, an e-mail for p-005 and an
    empty second group."""
    people = [facilitator("f-001", "Dr. Rivera")]
    if full:
        people.append(facilitator("f-002", "Dr. Stone"))
    people += [
        person("p-001", "Jordan", zoom_email="jordan@example.org"),
        person("p-002", "Morgan", zoom_registrant_id="reg-002"),
        person("p-003", "Avery", aliases=["Sam K"]),
        person("p-004", "Kendall", zoom_email="kendall@example.org"),
        person("p-005", "Riley", **({"email": "riley@example.org"} if full else {})),
    ]
    groups = [
        group(
            group_id,
            "Evening Group A",
            facilitators=["f-001"],
            participants=["p-001", "p-002", "p-003", "p-004", "p-005"],
            zoom_meeting_id=meeting,
        )
    ]
    if full:
        groups.append(group("other", "Other Group", facilitators=["f-002"], participants=[]))
    return config_text(
        storage=f"sqlite:///{db}",
        server={"host": "127.0.0.1", "port": 0},
        zoom={"enabled": True, "webhook_secret": secret},
        program={"name": "Test IOP", "timezone": NEW_YORK},
        people=people,
        groups=groups,
    )


def _sms(base: str, sid: str, token: str) -> dict[str, Any]:
    return {
        "enabled": True,
        "api_base_url": base,
        "account_sid": sid,
        "auth_token": token,
        "from_number": "+15550100000",
    }


def channels_cast(db: Path, *, smtp_port: int, sms_base: str, sms_sid: str) -> str:
    """Reminders by e-mail and SMS: one person per order of preference."""
    return config_text(
        storage=f"sqlite:///{db}",
        email={
            "enabled": True,
            "host": "127.0.0.1",
            "port": smtp_port,
            "from_addr": "rollcall@example.org",
            "starttls": False,
        },
        sms=_sms(sms_base, sms_sid, "secret"),
        program={"name": "Mornings", "timezone": NEW_YORK, "reminders": {"before": ["15m"]}},
        people=[
            facilitator("f-001", "F."),
            person("p-mail", "E.", email="e@example.org", channels=["email"]),
            person(
                "p-sms",
                "S.",
                phone="+15550123456",
                email="s@example.org",
                channels=["sms", "email"],
            ),
            person("p-none", "N.", phone="+15550123457", channels=["chat", "sms"]),
        ],
        groups=[
            group(
                "g",
                "Morning Group",
                facilitators=["f-001"],
                participants=["p-mail", "p-sms", "p-none"],
            )
        ],
    )


def sms_crowd_cast(*, storage: str, sms_base: str, sms_sid: str, people: int) -> str:
    """`people` participants reached only by SMS, all in two groups "g" and "g2"."""
    ids = [f"p-{i:03d}" for i in range(people)]
    return config_text(
        storage=storage,
        server={"host": "127.0.0.1", "port": 0},
        sms=_sms(sms_base, sms_sid, "tok"),
        program={"name": "Test", "timezone": "UTC", "reminders": {"before": ["1h"]}},
        people=[
            facilitator("f-001", "F."),
            *(
                person(pid, f"P{i}", phone=f"+1555020{i:04d}", channels=["sms"])
                for i, pid in enumerate(ids)
            ),
        ],
        groups=[
            group(gid, f"Group {gid}", facilitators=["f-001"], participants=ids)
            for gid in ("g", "g2")
        ],
    )
