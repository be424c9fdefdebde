"""Records you can't edit quietly (issue 17), played as an attacker with the database file.

- an ended session's stored record edited (present, 180 minutes in a 60-minute
  session) is named by `audit verify`, which recomputes every record from the ledger;
- the newest ledger rows deleted and the stored chain head rewound passes a plain
  `audit verify` (nothing inside the file can tell) but not `audit verify --head
  TOKEN` with a head printed by `rollcall audit head` before the deletion.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import (
    Site,
    assert_clean,
    assert_ok,
    assert_user_error,
    db_rows,
    db_rows_write,
    parallel,
)


def _tampered(r: object) -> list[str]:
    from tests.e2e.conftest import Result

    assert isinstance(r, Result)
    assert r.returncode == 1, str(r)
    assert_clean(r)
    assert r.stdout == "", str(r)
    return r.err_lines


def test_an_edited_record_is_named_by_verify(scenario_site: Site, tmp_path: Path) -> None:
    sid = scenario_site.scenario.session_id
    edited = scenario_site.copy_to(tmp_path / "edited")
    db_rows_write(
        edited.db,
        "UPDATE attendance_records SET status = 'present', attended_minutes = 180 "
        "WHERE session_id = ? AND person_id = 'p-007'",
        sid,
    )
    deleted = scenario_site.copy_to(tmp_path / "deleted")
    db_rows_write(
        deleted.db,
        "DELETE FROM attendance_records WHERE session_id = ? AND person_id = 'p-003'",
        sid,
    )
    clean, bad, gone = parallel(
        lambda: scenario_site.cli().run("audit", "verify"),
        lambda: edited.cli().run("audit", "verify"),
        lambda: deleted.cli().run("audit", "verify"),
    )
    assert "stored records match their evidence" in assert_ok(clean).stdout
    assert _tampered(bad) == [
        f"TAMPERED: record {sid}/p-007: stored present, 180 min but the evidence gives "
        "absent, 0 min (differs in status, attended_minutes)"
    ]
    assert _tampered(gone) == [
        f"TAMPERED: record {sid}/p-003: missing; the evidence gives late, 49 min"
    ]


def test_a_checkpointed_head_catches_deleted_rows_and_a_rewound_head(
    scenario_site: Site, tmp_path: Path
) -> None:
    cli = scenario_site.cli()
    heads = assert_ok(cli.run("audit", "head")).out_lines
    assert [h.split(":")[0] for h in heads] == ["ledger", "audit"]
    ledger_head = heads[0]
    _, seq, digest = ledger_head.split(":")
    assert int(seq) == db_rows(scenario_site.db, "SELECT MAX(seq) FROM ledger")[0][0]
    assert len(digest) == 64

    # the attacker drops the newest two ledger rows and rewinds the stored head
    rewound = scenario_site.copy_to(tmp_path / "rewound")
    keep = int(seq) - 2
    (prev_hash,) = db_rows(rewound.db, "SELECT hash FROM ledger WHERE seq = ?", keep)[0]
    db_rows_write(
        rewound.db,
        "DELETE FROM ledger_notes WHERE key IN (SELECT key FROM ledger WHERE seq > ?)",
        keep,
    )
    db_rows_write(rewound.db, "DELETE FROM ledger WHERE seq > ?", keep)
    db_rows_write(
        rewound.db,
        "UPDATE chain_heads SET seq = ?, hash = ? WHERE chain = 'ledger'",
        keep,
        prev_hash,
    )
    plain, with_head, fine, both, bare, garbage = parallel(
        lambda: rewound.cli().run("audit", "verify"),
        lambda: rewound.cli().run("audit", "verify", "--head", ledger_head),
        lambda: cli.run("audit", "verify", "--head", ledger_head, "--head", heads[1]),
        lambda: cli.run("audit", "verify", "--head", f"ledger:{seq}:{'0' * 64}"),
        lambda: cli.run("audit", "verify", "--head", digest),
        lambda: cli.run("audit", "verify", "--head", "not-a-head"),
    )
    # a plain verify can't tell (unless the deleted rows' records now differ) ...
    assert "head" not in plain.stderr
    # ... the checkpoint can
    lines = _tampered(with_head)
    assert (
        f"TAMPERED: head {digest[:12]}… is not in ledger: rows up to it were removed or "
        "rewritten (or the head is from another database)" in lines
    )
    assert "2 checkpoint(s) found" in assert_ok(fine).stdout
    assert _tampered(both)[0].startswith("TAMPERED: head 000000000000… is not in ledger")
    assert "1 checkpoint(s) found" in assert_ok(bare).stdout
    assert_user_error(garbage, "--head", "not-a-head")
