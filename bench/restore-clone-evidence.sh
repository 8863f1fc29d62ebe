#!/usr/bin/env bash
# Evidence for restore and clone (issue 3), in one run on this machine:
#  1. peak RSS of restoring and of cloning a dataset holding one 2 GiB file;
#  2. restore across a 1% difference of 10,000 files, next to `git checkout` of the same two commits.
# Usage: bench/restore-clone-evidence.sh [PATH_TO_DSNAP]   (default: .build/release/dsnap)
set -euo pipefail
DSNAP=$(realpath "${1:-.build/release/dsnap}")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dsnap-evidence.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com
measure() { # label, command...: prints "label: seconds s, peak RSS MB"
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >/dev/null
    read -r seconds kb < "$WORK/time"
    printf '| %s | %s s | %d MB |\n' "$label" "$seconds" $((kb / 1024))
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(date -u +%Y-%m-%d)"
echo
echo "| operation | wall | peak RSS |"
echo "| --- | --- | --- |"
# 1. One 2 GiB file.
mkdir "$WORK/big" && head -c $((2 * 1024 * 1024 * 1024)) /dev/urandom > "$WORK/big/video.mp4"
echo '{"fps": 30}' > "$WORK/big/video.json"
measure "init (snapshot of one 2 GiB file)" "$DSNAP" -C "$WORK/big" init -q
WITH=$("$DSNAP" -C "$WORK/big" log --json -n 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["snapshot_id"])')
rm "$WORK/big/video.mp4"
"$DSNAP" -C "$WORK/big" commit -q -m without-video
measure "restore writing the 2 GiB file" "$DSNAP" -C "$WORK/big" restore -q "$WITH"
cmp <(head -c 1000000 "$WORK/big/video.mp4") <(git --git-dir="$WORK/big/.dsnap" cat-file blob "$WITH:video.mp4" | head -c 1000000)
measure "clone of that snapshot" "$DSNAP" -C "$WORK/big" clone -q "$WITH" "$WORK/big-clone"
measure "cp of the 2 GiB file (reference)" cp "$WORK/big/video.mp4" "$WORK/copy.mp4"
rm -rf "$WORK/big" "$WORK/big-clone" "$WORK/copy.mp4"

# 2. 10,000 files, 1% changed.
python3 - "$WORK/many" <<'PY'
import os, random, sys
random.seed(7)
root = sys.argv[1]
for n in range(10000):
    d = os.path.join(root, f"d{n % 100:03d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"img{n:05d}.jpg"), "wb") as f:
        f.write(random.randbytes(4096))
PY
"$DSNAP" -C "$WORK/many" init -q
A=$("$DSNAP" -C "$WORK/many" log --json -n 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["snapshot_id"])')
python3 - "$WORK/many" <<'PY'
import os, random, sys
random.seed(8)
root = sys.argv[1]
for n in range(0, 10000, 100):
    with open(os.path.join(root, f"d{n % 100:03d}", f"img{n:05d}.jpg"), "wb") as f:
        f.write(random.randbytes(4096))
PY
"$DSNAP" -C "$WORK/many" commit -q -m one-percent
B=$("$DSNAP" -C "$WORK/many" log --json -n 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["snapshot_id"])')
cp -a "$WORK/many" "$WORK/many-git"
GIT=(git --git-dir="$WORK/many-git/.dsnap" --work-tree="$WORK/many-git")
"${GIT[@]}" status --porcelain >/dev/null   # refresh git's own stat cache first
for run in 1 2 3; do
    measure "dsnap restore across 1% of 10,000 files (run $run)" "$DSNAP" -C "$WORK/many" restore -q "$A"
    "$DSNAP" -C "$WORK/many" restore -q "$B"
    measure "git checkout of the same change (run $run)" "${GIT[@]}" checkout -q -f "$A"
    "${GIT[@]}" checkout -q -f "$B"
done
