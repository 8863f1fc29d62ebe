import requests
import time

VL_BASE_URL = "https://app.visual-layer.com"
JWT_TOKEN = "<your-jwt-token>"
DATASET_ID = "<your-dataset-id>"

headers = {"Authorization": f"Bearer {JWT_TOKEN}"}

# List existing snapshots
resp = requests.get(
    f"{VL_BASE_URL}/api/v1/dataset/{DATASET_ID}/snapshot",
    headers=headers,
)
resp.raise_for_status()
snapshots = resp.json()
print(f"Existing snapshots: {len(snapshots)}")
for s in snapshots:
    current = " (current)" if s["is_current"] else ""
    print(f"  {s['snapshot_name']}: {s['n_images']} images, {s['reason']}{current}")

# Create a checkpoint before enrichment
resp = requests.post(
    f"{VL_BASE_URL}/api/v1/dataset/{DATASET_ID}/snapshot",
    headers=headers,
    json={
        "name": "pre-enrichment-checkpoint",
        "description": "Before running VL-Image-Tagger enrichment",
    },
)
resp.raise_for_status()
snapshot = resp.json()
snapshot_id = snapshot["snapshot_id"]
print(f"\nCreated snapshot: {snapshot_id}")
print(f"  Name: {snapshot['snapshot_name']}")
print(f"  Images: {snapshot['n_images']}, Videos: {snapshot['n_videos']}")

# Update the snapshot description
resp = requests.patch(
    f"{VL_BASE_URL}/api/v1/dataset/{DATASET_ID}/snapshot/{snapshot_id}",
    headers=headers,
    json={"description": "Baseline before VL-Image-Tagger v2 enrichment run"},
)
resp.raise_for_status()
print(f"  Updated description: {resp.json()['description']}")

# Restore a previous snapshot (async — returns 202)
previous_id = snapshots[-1]["snapshot_id"]  # oldest snapshot
resp = requests.post(
    f"{VL_BASE_URL}/api/v1/dataset/{DATASET_ID}/snapshot/{previous_id}/restore",
    headers=headers,
)
if resp.status_code == 202:
    print(f"\nRestore initiated for snapshot {previous_id}")
    print("Track progress in Task Manager (task_type=SNAPSHOT_RESTORE)")

# Poll task manager for restore completion
while True:
    resp = requests.get(
        f"{VL_BASE_URL}/api/v1/tasks",
        headers=headers,
        params={"dataset_id": DATASET_ID, "task_type": "SNAPSHOT_RESTORE"},
    )
    resp.raise_for_status()
    tasks = resp.json()["tasks"]
    latest = tasks[0] if tasks else None
    if latest and latest["status"] in ("COMPLETED", "FAILED"):
        print(f"  Restore {latest['status'].lower()}")
        break
    time.sleep(5)
