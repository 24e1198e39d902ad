#!/usr/bin/env bash
# Which Scrapy releases newsbot works with: the floor in pyproject.toml ("scrapy>=X.Y") is
# the lowest release this passes on (README.md, "Tests").
#
#   scripts/check_scrapy_floor.sh              # the floor pyproject.toml names, whole suite
#   scripts/check_scrapy_floor.sh 2.15 2.16    # these releases (newest patch of each)
#   SUITE=quick scripts/check_scrapy_floor.sh 2.13 2.14 2.15
#
# For each release: a fresh virtualenv (under $FLOOR_DIR, default /tmp/newsbot-scrapy-floor)
# with newsbot's dependencies and scrapy==X.Y.* (pip resolves the rest as a user's
# install would; a release below the declared floor can be tried too), then the test suite: all of it (SUITE=full, the default), or a part that
# touches every Scrapy interface newsbot uses (SUITE=quick: commands, extensions,
# pipelines, middlewares, the scheduler and JOBDIR, replay and re-parse, the report).
# The last lines say which releases passed; the exit status is 0 only if all did.
set -uo pipefail
cd "$(dirname "$0")/.."

FLOOR_DIR=${FLOOR_DIR:-/tmp/newsbot-scrapy-floor}
SUITE=${SUITE:-full}
PYTHON=${PYTHON:-python3}
QUICK_TESTS=(
  tests/test_cli_errors.py tests/test_usage_errors.py tests/test_report.py tests/test_progress.py
  tests/test_changes.py tests/test_output_files.py tests/test_streams.py tests/test_incremental.py
  tests/test_warc_capture.py tests/test_warc_writer.py tests/test_fixture_crawls.py tests/test_faults.py
  tests/test_resume.py tests/test_reparse_components.py tests/test_replay.py tests/test_politeness.py
)

if [ $# -eq 0 ]; then
  floor=$(sed -n 's/.*"scrapy>=\([0-9.]*\),.*/\1/p' pyproject.toml)
  set -- "$floor"
fi

results=()
for release in "$@"; do
  venv="$FLOOR_DIR/scrapy-$release"
  echo "== Scrapy $release: $venv"
  if [ ! -x "$venv/bin/python" ]; then
    "$PYTHON" -m venv "$venv" || { results+=("$release: no virtualenv"); continue; }
  fi
  # newsbot's dependencies and test extras as pyproject.toml lists them, but Scrapy as asked
  # (a release below the declared floor too), then newsbot itself without its requirements.
  "$venv/bin/python" - > "$venv/requirements.txt" <<'PY'
import re, tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
for requirement in project["dependencies"] + project["optional-dependencies"]["test"]:
    if not re.match(r"scrapy\s*[<>=!~;\[]", requirement, re.I):
        print(requirement)
PY
  if ! "$venv/bin/python" -m pip install --quiet --upgrade pip \
     || ! "$venv/bin/python" -m pip install --quiet -r "$venv/requirements.txt" "scrapy==$release.*" \
     || ! "$venv/bin/python" -m pip install --quiet --no-deps -e .; then
    results+=("$release: does not install")
    continue
  fi
  installed=$("$venv/bin/python" -c "import scrapy; print(scrapy.__version__)")
  if [ "$SUITE" = quick ]; then tests=("${QUICK_TESTS[@]}"); else tests=(); fi
  # The crawls the tests start run "python -m scrapy" with this virtualenv's interpreter.
  if "$venv/bin/python" -m pytest -q -p no:cacheprovider --basetemp="$FLOOR_DIR/pytest-$release" "${tests[@]}"; then
    results+=("$release: passed (scrapy $installed, $SUITE suite)")
  else
    results+=("$release: FAILED (scrapy $installed, $SUITE suite)")
  fi
done

echo
status=0
for line in "${results[@]}"; do
  echo "$line"
  case "$line" in *passed*) ;; *) status=1 ;; esac
done
exit $status
