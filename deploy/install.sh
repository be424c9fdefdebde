#!/bin/sh
# Install rollcall into a fresh virtual environment from the project's own files:
# the pinned, hash-checked dependencies of requirements.lock, then the package itself.
# The Dockerfile runs exactly this; tests/deploy/test_install.py runs it in a clean venv.
#
#   deploy/install.sh VENV_DIR [SOURCE_DIR]
set -eu
venv="$1"
src="${2:-$(dirname "$0")/..}"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --no-cache-dir --require-hashes --only-binary=:all: \
    -r "$src/requirements.lock"
"$venv/bin/python" -m pip install --no-cache-dir --no-deps "$src"
"$venv/bin/rollcall" --version
