"""Records you can't edit quietly (issue 17), played as an attacker with the database file.

- an ended session's stored record edited (present, 180 minutes in a 60-minute
  session) is named by `audit verify`, which recomputes every record from the ledger;
- the newest ledger rows deleted and the stored chain head rewound passes a plain
  `audit verify` (nothing inside the file can tell) but not `audit verify --head
  TOKEN` with a head printed by `rollcall audit head` before the deletion;
- the same with the heads written where the database can't reach them: beside each
  backup (`FILE.heads`) and at the end of each weekly summary (`rollcall weekly`).
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


def test_the_heads_in_a_backup_and_a_weekly_summary_catch_a_rewind(
    scenario_site: Site, tmp_path: Path
) -> None:
    """The heads written beside a backup (`FILE.heads`, and on stdout) and at the end of
    `rollcall weekly` are checkpoints outside the database: after old ledger rows are
    deleted and the stored head rewound with sqlite3, `audit verify --head` with them
    names the tampering, where a plain verify passes."""
    cli = scenario_site.cli()
    backup = tmp_path / "nightly.db"
    backed_up, weekly = cli.run_all(["backup", str(backup)], ["weekly"])
    heads_file = Path(f"{backup}.heads")
    from_backup = heads_file.read_text(encoding="ascii").splitlines()
    assert [h.split(":")[0] for h in from_backup] == ["ledger", "audit"]
    assert (
        assert_ok(backed_up)
        .stdout.rstrip()
        .endswith(f"heads in {heads_file}: {' '.join(from_backup)}")
    )
    summary = assert_ok(weekly).out_lines[-1]
    prefix = "Chain heads (for audit verify --head): "
    assert summary.startswith(prefix)
    from_weekly = summary.removeprefix(prefix).split(" ")
    # nothing was written between the two: the same checkpoint, and the backup's own
    # chain_heads row agrees with what was written beside it
    assert from_weekly == from_backup
    (backup_head,) = db_rows(backup, "SELECT seq, hash FROM chain_heads WHERE chain = 'ledger'")
    assert from_backup[0] == f"ledger:{backup_head[0]}:{backup_head[1]}"

    # the attacker deletes the ledger rows from seq 3 on, or the audit rows from seq 2 on,
    # and rewinds the stored head to the last row kept
    ledger_cut = scenario_site.copy_to(tmp_path / "ledger-cut")
    audit_cut = scenario_site.copy_to(tmp_path / "audit-cut")
    for site, chain, keep in ((ledger_cut, "ledger", 2), (audit_cut, "audit", 1)):
        (count,) = db_rows(site.db, f"SELECT COUNT(*) FROM {chain}")[0]
        assert count > keep + 1
        (prev_hash,) = db_rows(site.db, f"SELECT hash FROM {chain} WHERE seq = ?", keep)[0]
        if chain == "ledger":
            db_rows_write(
                site.db,
                "DELETE FROM ledger_notes WHERE key IN (SELECT key FROM ledger WHERE seq > ?)",
                keep,
            )
        db_rows_write(site.db, f"DELETE FROM {chain} WHERE seq > ?", keep)
        db_rows_write(
            site.db, "UPDATE chain_heads SET seq = ?, hash = ? WHERE chain = ?", keep, prev_hash,
            chain,
        )  # fmt: skip
    by_weekly = [a for h in from_weekly for a in ("--head", h)]
    by_backup = [a for h in from_backup for a in ("--head", h)]
    ledger_plain, ledger_backup, audit_plain, audit_weekly, audit_backup = parallel(
        lambda: ledger_cut.cli().run("audit", "verify"),
        lambda: ledger_cut.cli().run("audit", "verify", *by_backup),
        lambda: audit_cut.cli().run("audit", "verify"),
        lambda: audit_cut.cli().run("audit", "verify", *by_weekly),
        lambda: audit_cut.cli().run("audit", "verify", *by_backup),
    )

    def named(token: str) -> str:
        chain, _, digest = token.split(":")
        return (
            f"TAMPERED: head {digest[:12]}… is not in {chain}: rows up to it were removed "
            "or rewritten (or the head is from another database)"
        )

    # the ledger cut: the records of the ended session lose their evidence, and the
    # checkpoint names the cut itself
    assert named(from_backup[0]) not in ledger_plain.stderr
    assert named(from_backup[0]) in _tampered(ledger_backup)
    assert named(from_backup[1]) not in ledger_backup.stderr
    # the audit cut: nothing inside the file can tell; only the checkpoint does
    assert assert_ok(audit_plain).stdout.startswith("ok: ")
    assert _tampered(audit_weekly) == [named(from_weekly[1])]
    assert _tampered(audit_backup) == [named(from_backup[1])]
