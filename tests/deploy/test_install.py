"""The image's install steps, for real: deploy/install.sh (the Dockerfile's RUN) into a
clean venv from a copy of exactly what the Dockerfile copies, then the installed
`rollcall` migrates a database and passes `doctor`. It downloads every pinned wheel, so
it runs under CI=true (or ROLLCALL_SLOW_TESTS=1) and is skipped otherwise."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

slow = pytest.mark.skipif(
    os.environ.get("CI") != "true" and os.environ.get("ROLLCALL_SLOW_TESTS") != "1",
    reason="installs every pinned dependency: runs under CI=true or ROLLCALL_SLOW_TESTS=1",
)


def _copied_by_dockerfile(dest: Path) -> None:
    text = (ROOT / "Dockerfile").read_text()
    for sources, target in re.findall(r"^COPY (?!--from)(.+) (/src/\S*)$", text, re.MULTILINE):
        names = sources.split()
        for name in names:
            src = ROOT / name
            where = dest / target.removeprefix("/src/")
            if target.endswith("/") or len(names) > 1:
                where = where / src.name
            where.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, where, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(src, where)


@slow
@pytest.mark.timeout(900)
def test_the_image_install_steps_work_in_a_clean_venv(tmp_path: Path) -> None:
    src, venv = tmp_path / "src", tmp_path / "venv"
    _copied_by_dockerfile(src)
    assert (src / "deploy" / "install.sh").exists() and (src / "requirements.lock").exists()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    done = subprocess.run(
        ["sh", str(src / "deploy" / "install.sh"), str(venv), str(src)],
        capture_output=True,
        text=True,
        timeout=840,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert re.search(r"^rollcall \d+\.\d+\.\d+", done.stdout, re.MULTILINE)

    rollcall = venv / "bin" / "rollcall"
    config = tmp_path / "rollcall.toml"
    config.write_text('[storage]\nurl = "sqlite:///rollcall.db"\n[program]\nname = "T"\n')
    for args in (["db", "upgrade"], ["doctor"]):
        run = subprocess.run(
            [str(rollcall), "--config", str(config), *args],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            cwd=tmp_path,
        )
        assert run.returncode == 0, run.stdout + run.stderr
    # it is the copy that was installed, not this working tree
    show = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import bot; print(bot.__file__)"],
        capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert str(venv) in show.stdout
