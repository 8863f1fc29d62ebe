#!/usr/bin/env bash
# The Snapshots API reference's three curl use cases, against `dsnap serve`:
#   use_cases.sh API_URL DATASET_ID DATASET_FOLDER     (DSNAP: the dsnap binary, for the checks)
# Each step is the reference's curl line with its URL and ids filled in; the checks after each
# step use the API's answers and, for what the folder holds, the CLI.
set -euo pipefail
api=$1 dataset_id=$2 folder=$3
jwt=any-token-on-loopback
fail() { echo "FAILED: $*" >&2; exit 1; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
wait_task() {  # dataset_id task_type: waits until the newest such task ends, prints its status
    for _ in $(seq 600); do
        status=$(curl -s -H "Authorization: Bearer $jwt" "$api/tasks?dataset_id=$1&task_type=$2" | field '["tasks"][0]["status"]')
        case $status in COMPLETED|FAILED) echo "$status"; return;; esac
        sleep 0.1
    done
    fail "no $2 task ended"
}

echo "== Checkpoint before enrichment"
# 1. Create checkpoint
checkpoint=$(curl -s -X POST -H "Authorization: Bearer $jwt" \
  -H "Content-Type: application/json" \
  -d '{"name": "pre-captioning", "description": "Before VL-Image-Captioner run"}' \
  "$api/dataset/$dataset_id/snapshot" | field '["snapshot_id"]')
echo "checkpoint $checkpoint"
# 2. Run enrichment (here: captions written into every sidecar)
for f in "$folder"/*.json; do python3 - "$f" <<'PY'
import json, sys
path = sys.argv[1]
data = json.load(open(path))
data["caption"] = "a cat on a mat"
json.dump(data, open(path, "w"))
PY
done
grep -q caption "$folder/img0.json" || fail "enrichment did not run"
# 3. If results are not satisfactory, restore the checkpoint
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $jwt" \
  "$api/dataset/$dataset_id/snapshot/$checkpoint/restore")
[ "$code" = 202 ] || fail "restore answered $code"
[ "$(wait_task "$dataset_id" SNAPSHOT_RESTORE)" = COMPLETED ] || fail "the restore failed"
grep -q caption "$folder/img0.json" && fail "the restore left the captions"
autosave=$(curl -s -H "Authorization: Bearer $jwt" "$api/tasks?dataset_id=$dataset_id&task_type=SNAPSHOT_RESTORE" \
  | field '["tasks"][0]["autosave_snapshot_id"]')
[ "$autosave" != None ] || fail "the discarded captions were not autosaved"
(cd "$folder" && "$DSNAP" show "$autosave:img0.json") | grep -q caption || fail "the autosave lacks the captions"
echo "restored; the captions are kept in autosave $autosave"

echo "== A/B test enrichment models"
# 1. Create a snapshot of the baseline dataset
baseline=$(curl -s -X POST -H "Authorization: Bearer $jwt" \
  -H "Content-Type: application/json" \
  -d '{"name": "baseline-for-comparison"}' \
  "$api/dataset/$dataset_id/snapshot" | field '["snapshot_id"]')
# 2. Clone the snapshot to a new dataset
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $jwt" \
  "$api/dataset/$dataset_id/snapshot/$baseline/clone")
[ "$code" = 202 ] || fail "clone answered $code"
[ "$(wait_task "$dataset_id" SNAPSHOT_CLONE)" = COMPLETED ] || fail "the clone failed"
clone_id=$(curl -s -H "Authorization: Bearer $jwt" "$api/datasets" \
  | python3 -c "import json,sys; print([d['dataset_id'] for d in json.load(sys.stdin) if d['dataset_id'] != '$dataset_id'][0])")
name=$(curl -s -H "Authorization: Bearer $jwt" "$api/dataset/$clone_id/snapshot" | field '[0]["source_dataset_name"]')
[ "$name" = "$(basename "$folder") (cloned)" ] || fail "the clone is named '$name'"
# 3. Run Model A on the original, Model B on the clone, and compare results
echo '{"model": "A"}' > "$folder/model.json"
echo '{"model": "B"}' > "$folder-clone/model.json"
(cd "$folder" && "$DSNAP" commit -q -m model-a) && (cd "$folder-clone" && "$DSNAP" commit -q -m model-b)
(cd "$folder" && "$DSNAP" diff current "$folder-clone:current") | grep -q '"A"' || fail "the A/B diff shows nothing"
echo "clone $clone_id; A/B diff across the clone works"

echo "== Audit trail"
curl -s -H "Authorization: Bearer $jwt" \
  "$api/dataset/$dataset_id/snapshot" | python3 -c '
import json, sys
snapshots = json.load(sys.stdin)
reasons = [s["reason"] for s in snapshots]
assert reasons[-1] == "creation" and "manual" in reasons, reasons
for s in snapshots:
    created, reason, name = s["created_at"], s["reason"], s["snapshot_name"]
    print(f"  {created}  {reason:8}  {name}")
'
echo "ok"
