#!/usr/bin/env bash
# A narrated tour of dsnap's snapshot lifecycle on a temporary copy of fixtures/basic.
# Usage: scripts/demo.sh PATH_TO_DSNAP
set -euo pipefail
DSNAP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dsnap-demo.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cp -r "$HERE/fixtures/basic" "$WORK/product-images"
cd "$WORK/product-images"
export GIT_AUTHOR_NAME="Rachel Demo" GIT_AUTHOR_EMAIL="rachel@example.com"

step() { printf '\n\033[1m# %s\033[0m\n' "$1"; }
run() { printf '$ dsnap'; printf ' %q' "$@"; printf '\n'; "$DSNAP" "$@"; }

step "A plain folder of media and JSON sidecars (a copy of fixtures/basic)"
find . -type f | sort
step "Make it a dataset: dsnap takes the 'creation' snapshot"
run init --name "Product Images Q1"
step "Take a named checkpoint before enrichment"
run commit -m pre-enrichment -d "Checkpoint before running the tagger"
step "An enrichment step edits a sidecar and adds a new image"
python3 - <<'PY' 2>/dev/null || sed -i 's/"low"/"high"/' images/cats/a.json
import json
p = "images/cats/a.json"
d = json.load(open(p))
d.setdefault("tags", {})["quality"] = "high"
json.dump(d, open(p, "w"), indent=2)
PY
cp images/dogs/b.png images/dogs/b2.png
run status
step "Snapshot the enriched data"
run commit -m tagged -d "After the tagger" --training-model-id 7f3c2a10-0000-4000-8000-000000000001 --training-model-name VL-Image-Tagger
step "The history, newest first"
run log
step "The same as the API's JSON (first snapshot only)"
"$DSNAP" log --json -n 1
step "Rename a snapshot: the id stays"
run update pre-enrichment --name baseline --description "Original data before any enrichment"
run show baseline
step "Delete is soft and refuses the current snapshot"
run delete current || echo "(exit status $?: the current snapshot cannot be deleted)"
run delete baseline
run log
run undelete baseline
step "Plain git reads it all"
printf '$ git --git-dir=.dsnap log --oneline\n'; git --git-dir=.dsnap log --oneline
printf '$ git --git-dir=.dsnap notes --ref=dsnap list | wc -l\n'; git --git-dir=.dsnap notes --ref=dsnap list | wc -l
printf '$ git --git-dir=.dsnap fsck --full\n'; git --git-dir=.dsnap fsck --full && echo "(fsck: clean)"
