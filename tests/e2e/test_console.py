"""`rollcall run` with no platform enabled: the interactive console, driven through stdin."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import CONFIG_NAME, GROUP, Cli, assert_ok, db_rows

SCRIPT = f"""\
as f-001
press 1
start {GROUP} 60
sessions
as p-001
/checkin
/checkin
join
camera on
as p-002
/roster
as f-001
/roster
press 25
/verify @p-002 late participation=high joined by phone
help
dance
as nobody
"""


def test_console_session_end_to_end(config_dir: Path) -> None:
    cli = Cli(config=config_dir / CONFIG_NAME, cwd=config_dir, script=True)
    r = assert_ok(cli.run("run", stdin=SCRIPT))  # end of input: exit 0, no traceback
    out = r.stdout

    assert "rollcall console — Test IOP" in out
    assert "You are now Dr. Rivera (f-001, facilitator)." in out
    assert "The last reply has no buttons to press." in out
    assert f"Session {GROUP}-" in out and "is open now for 60 minutes." in out
    session_id = out.split("Session ", 1)[1].split()[0]
    assert f"  {session_id}" in out and "(scheduled)" in out  # `sessions`
    assert "(only you can see this) You're checked in to Ad-hoc Group" in out
    assert "(only you can see this) You already checked in to Ad-hoc Group" in out
    assert f"You joined the {GROUP} room." in out
    assert f"Camera on in the {GROUP} room." in out

    denied = [line for line in out.splitlines() if "can see the roster" in line]
    assert len(denied) == 1
    assert denied[0].endswith(
        "(only you can see this) Only this group's facilitators can see the roster."
    )

    rosters = out.split("Roster: Ad-hoc Group")
    assert len(rosters) == 3  # /roster, then the roster again after the button
    first, after_press = rosters[1], rosters[2]
    assert "(only you can see this)" in rosters[0].splitlines()[-1]
    assert "Jordan (p-001): present · checked in" in first and "in the room" in first
    assert "Morgan (p-002): not here yet" in first
    # attention first (not here yet, by name), then present; marks and participation
    assert first.index("Avery (p-003): not here yet") < first.index("Morgan (p-002)")
    assert first.index("Morgan (p-002)") < first.index("Jordan (p-001): present")
    assert (
        "  mark Morgan: [22] Present [23] Late [24] Absent [25] Excused "
        "[26] Participation high [27] Participation medium [28] Participation low"
    ) in first
    assert "  mark Jordan: [43] Present [44] Late [45] Absent [46] Excused" in first
    assert "Morgan (p-002): excused" in after_press and "flags: override" in after_press
    assert "Recorded Morgan as late for Ad-hoc Group" in out

    assert "as PERSON_ID" in out and "press N" in out  # help
    assert "I don't know that command. I know /checkin" in out
    assert "No person 'nobody' is configured" in out

    # logs carry ids only
    for name in ("Rivera", "Jordan", "Morgan", "joined by phone"):
        assert name not in r.stderr

    db = config_dir / "db.sqlite"
    actions = [row[0] for row in db_rows(db, "SELECT action FROM audit ORDER BY seq")]
    assert actions.count("command.denied") == 1
    assert actions.count("roster.view") == 2
    assert actions.count("attendance.override") == 2
    evidence = db_rows(
        db, "SELECT kind, person_id, json_extract(data, '$.action') FROM ledger ORDER BY seq"
    )
    assert evidence == [
        ("checkin", "p-001", None),
        ("presence", "p-001", "join"),
        ("presence", "p-001", "camera_on"),
        ("verify", "p-002", None),
        ("verify", "p-002", None),
    ]
    statuses = db_rows(db, "SELECT json_extract(data, '$.status') FROM ledger WHERE kind='verify'")
    assert sorted(statuses) == [("excused",), ("late",)]
