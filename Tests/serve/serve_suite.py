#!/usr/bin/env python3
"""End-to-end checks of `dsnap serve` against real datasets and a real server process.

Each case makes its own datasets in a temporary folder, starts `dsnap serve --listen 127.0.0.1:0`,
talks HTTP to it (Python's `requests` where the reference's clients use it, raw sockets for
malformed input), stops it with SIGTERM, and checks what the datasets hold afterwards with the CLI,
`dsnap verify` and `git fsck --full`.

    serve_suite.py --bin .build/debug/dsnap --case reference-example
    serve_suite.py --bin .build/release/dsnap --load 30 --clients 50     (bench/serve uses this)

Cases: reference-example, use-cases, conformance, bad-input, concurrency, shutdown, token, descriptors.
Exit 0 when every check of the case passed; the first failed check is printed and exits 1.
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

try:
    import requests
except ImportError:  # the suite needs it; CI installs python3-requests
    print("SKIP: python3 'requests' is not installed (apt-get install python3-requests)")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Lab:
    """A temporary folder of datasets, and the dsnap binary to act on them."""

    def __init__(self, binary):
        self.binary = os.path.abspath(binary)
        self.root = tempfile.mkdtemp(prefix="dsnap-serve-")
        self.env = dict(os.environ, GIT_AUTHOR_NAME="Ada", GIT_AUTHOR_EMAIL="ada@example.com",
                        GIT_COMMITTER_NAME="Ada", GIT_COMMITTER_EMAIL="ada@example.com",
                        HOME=self.root, TZ="UTC", NO_COLOR="1")
        self.env.pop("DSNAP_NOW", None)

    def dsnap(self, *args, cwd, check_exit=True):
        run = subprocess.run([self.binary, *args], cwd=cwd, env=self.env, capture_output=True, text=True)
        if check_exit and run.returncode != 0:
            raise Failure(f"dsnap {' '.join(args)} exited {run.returncode}: {run.stderr.strip()}")
        return run

    def dataset(self, name, images=3, sidecars=3):
        """A dataset of a few images and JSON sidecars, with its creation snapshot."""
        folder = os.path.join(self.root, name)
        os.makedirs(folder)
        for index in range(images):
            with open(os.path.join(folder, f"img{index}.jpg"), "wb") as f:
                f.write(os.urandom(2048))
        for index in range(sidecars):
            with open(os.path.join(folder, f"img{index}.json"), "w") as f:
                json.dump({"id": index, "label": "cat", "score": 0.5}, f)
        self.dsnap("init", "-q", cwd=folder)
        return folder

    def dataset_id(self, folder):
        status = json.loads(self.dsnap("status", "--json", cwd=folder).stdout)
        check(UUID.match(status.get("dataset_id") or ""), f"status has no dataset_id: {status}")
        return status["dataset_id"]

    def sound(self, folder):
        """`dsnap verify` and `git fsck --full` find nothing wrong."""
        self.dsnap("verify", "-q", cwd=folder)
        fsck = subprocess.run(["git", "--git-dir", os.path.join(folder, ".dsnap"), "fsck", "--full"],
                              capture_output=True, text=True)
        check(fsck.returncode == 0, f"git fsck --full in {folder}: {fsck.stdout}{fsck.stderr}")

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)


class Server:
    """`dsnap serve` as a child process on a free loopback port."""

    def __init__(self, lab, root, *extra):
        self.lab = lab
        self.process = subprocess.Popen([lab.binary, "serve", "--json", "--listen", "127.0.0.1:0", "--root", root,
                                         *extra], cwd=root, env=lab.env, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line:
            raise Failure(f"dsnap serve did not start: {self.process.stderr.read()}")
        banner = json.loads(line)
        self.url = banner["url"]
        self.datasets = banner["datasets"]
        self.errors = []
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.process.stderr:
            self.errors.append(line)

    def api(self, path):
        return self.url + "/api/v1" + path

    def stop(self, expect=0):
        self.process.send_signal(signal.SIGTERM)
        try:
            status = self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise Failure("dsnap serve did not stop within 60 s of SIGTERM")
        check(status == expect, f"dsnap serve exited {status}, expected {expect}: {''.join(self.errors[-5:])}")
        stray = [line for line in self.errors if "Fatal error" in line or "backtrace" in line.lower()]
        check(not stray, f"the server trapped: {stray}")


SNAPSHOT_FIELDS = {
    "snapshot_id": str, "snapshot_name": str, "source_dataset_name": str, "created_at": str, "created_by": str,
    "n_images": int, "n_videos": int, "description": str, "reason": str, "training_model_id": (str, type(None)),
    "training_model_name": (str, type(None)), "is_current": bool, "is_restoring": bool,
}


def check_snapshot(snapshot):
    keys = list(snapshot.keys())
    check(keys[:13] == list(SNAPSHOT_FIELDS), f"snapshot fields, in order: {keys}")
    for key, kind in SNAPSHOT_FIELDS.items():
        check(isinstance(snapshot[key], kind) and not (kind is int and isinstance(snapshot[key], bool)),
              f"{key} has type {type(snapshot[key]).__name__}: {snapshot}")
    check(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}", snapshot["created_at"]),
          f"created_at is ISO 8601 with microseconds: {snapshot['created_at']}")
    check(snapshot["reason"] in ("manual", "creation", "clone"), f"reason: {snapshot['reason']}")


def wait_for_task(server, dataset_id, task_type, task_id=None, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        tasks = requests.get(server.api("/tasks"), params={"dataset_id": dataset_id, "task_type": task_type}).json()["tasks"]
        for task in tasks:
            if (task_id is None or task["task_id"] == task_id) and task["status"] in ("COMPLETED", "FAILED"):
                return task
        time.sleep(0.05)
    raise Failure(f"no {task_type} task ended within {timeout} s")


# Cases ----------------------------------------------------------------------------------------

def case_reference_example(lab):
    """The reference's Python example, verbatim but for its three settings."""
    folder = lab.dataset("products")
    with open(os.path.join(folder, "new.jpg"), "wb") as f:
        f.write(os.urandom(1024))
    lab.dsnap("commit", "-q", "-m", "second", cwd=folder)
    dataset_id = lab.dataset_id(folder)
    server = Server(lab, folder)
    try:
        with open(os.path.join(HERE, "reference_example.py")) as f:
            code = f.read()
        settings = {"VL_BASE_URL": server.url, "JWT_TOKEN": "any-token-works-on-loopback", "DATASET_ID": dataset_id}
        for name, value in settings.items():
            code, count = re.subn(rf'^{name} = ".*"$', f'{name} = "{value}"', code, flags=re.M)
            check(count == 1, f"the example sets {name} once")
        script = os.path.join(lab.root, "example.py")
        with open(script, "w") as f:
            f.write(code)
        run = subprocess.run([sys.executable, script], capture_output=True, text=True, timeout=120)
        check(run.returncode == 0, f"the example failed: {run.stdout}{run.stderr}")
        print(run.stdout, end="")
        check("Restore completed" in run.stdout, f"the restore did not complete: {run.stdout}")
    finally:
        server.stop()
    log = json.loads(lab.dsnap("log", "--json", cwd=folder).stdout)
    created = [s for s in log if s["snapshot_name"] == "pre-enrichment-checkpoint"]
    check(len(created) == 1, f"dsnap log lists the example's snapshot: {[s['snapshot_name'] for s in log]}")
    check(created[0]["description"] == "Baseline before VL-Image-Tagger v2 enrichment run",
          f"the update is visible to dsnap log: {created[0]['description']}")
    check(log[-1]["is_current"], "the oldest snapshot is current after the restore")
    check(not os.path.exists(os.path.join(folder, "new.jpg")), "the restore made the folder match the oldest snapshot")
    lab.sound(folder)


def case_use_cases(lab):
    """The reference's curl use cases: checkpoint before enrichment, A/B clone, audit trail."""
    folders = os.path.join(lab.root, "lab")
    os.makedirs(folders)
    lab.root, saved = folders, lab.root
    folder = lab.dataset("q1")
    lab.root = saved
    dataset_id = lab.dataset_id(folder)
    server = Server(lab, folders)
    try:
        script = os.path.join(HERE, "use_cases.sh")
        run = subprocess.run(["bash", script, server.url + "/api/v1", dataset_id, folder], capture_output=True,
                             text=True, timeout=180, env=dict(lab.env, DSNAP=lab.binary))
        print(run.stdout, end="")
        check(run.returncode == 0, f"use_cases.sh failed: {run.stdout}{run.stderr}")
        datasets = requests.get(server.api("/datasets")).json()
        check(len(datasets) == 2, f"the clone is served beside its source: {datasets}")
    finally:
        server.stop()
    lab.sound(folder)
    lab.sound(folder + "-clone")


def serving(lab, name):
    """A new dataset `name` and `dsnap serve` of it: its folder, id, server and API root."""
    folder = lab.dataset(name)
    dataset_id = lab.dataset_id(folder)
    server = Server(lab, folder)
    return folder, dataset_id, server, server.api(f"/dataset/{dataset_id}")


def case_conformance(lab):
    """Each endpoint's status codes, field names and types."""
    folder, dataset_id, server, api = serving(lab, "conf")
    try:
        datasets = requests.get(server.api("/datasets"))
        check(datasets.status_code == 200 and datasets.json()[0]["dataset_id"] == dataset_id, "GET /datasets")
        status = requests.get(api)
        check(status.status_code == 200 and status.json()["status"] == "Ready", f"GET dataset: {status.text}")
        check(requests.get(api + "/status").json()["status"] == "Ready", "GET dataset status")

        listed = requests.get(api + "/snapshot")
        check(listed.status_code == 200 and isinstance(listed.json(), list), "GET snapshot is a list")
        for snapshot in listed.json():
            check_snapshot(snapshot)
        check(listed.json()[0]["reason"] == "creation", "the creation snapshot is listed")

        created = requests.post(api + "/snapshot", json={"name": "pre-captioning", "description": "Before captions"})
        check(created.status_code == 200, f"POST snapshot: {created.status_code} {created.text}")
        snapshot = created.json()
        check_snapshot(snapshot)
        check(snapshot["snapshot_name"] == "pre-captioning" and snapshot["is_current"] and snapshot["reason"] == "manual",
              f"created snapshot: {snapshot}")
        sid = snapshot["snapshot_id"]
        defaulted = requests.post(api + "/snapshot").json()
        check(defaulted["snapshot_name"] == f"conf_snapshot_{defaulted['snapshot_id'][:8]}" and defaulted["description"] == "",
              f"defaults: {defaulted}")

        one = requests.get(api + f"/snapshot/{sid}")
        check(one.status_code == 200 and one.json()["snapshot_id"] == sid, "GET one snapshot")
        patched = requests.patch(api + f"/snapshot/{sid}", json={"description": "v2"})
        check(patched.status_code == 200 and patched.json()["description"] == "v2"
              and patched.json()["snapshot_name"] == "pre-captioning", f"PATCH: {patched.text}")
        check(requests.patch(api + f"/snapshot/{sid}", json={}).status_code == 400, "PATCH with no field is 400")

        current = defaulted["snapshot_id"]
        refused = requests.delete(api + f"/snapshot/{current}")
        check(refused.status_code == 409 and "detail" in refused.json(), f"DELETE current is 409: {refused.text}")
        deleted = requests.delete(api + f"/snapshot/{sid}")
        check(deleted.status_code == 200 and deleted.content == b"", f"DELETE is 200, empty: {deleted.text}")
        check(requests.get(api + f"/snapshot/{sid}").status_code == 404, "a deleted snapshot is not found")
        check(sid not in [s["snapshot_id"] for s in requests.get(api + "/snapshot").json()], "nor listed")

        creation = listed.json()[0]["snapshot_id"]
        restore = requests.post(api + f"/snapshot/{creation}/restore")
        check(restore.status_code == 202 and restore.content == b"", f"restore is 202, empty: {restore.text}")
        task = wait_for_task(server, dataset_id, "SNAPSHOT_RESTORE", restore.headers.get("X-Dsnap-Task-Id"))
        check(task["status"] == "COMPLETED" and task["snapshot_id"] == creation, f"restore task: {task}")
        check(task["dataset_id"] == dataset_id, "a task carries its dataset_id")
        check(requests.get(api + "/snapshot").json()[-1]["is_current"], "the restored snapshot is current")
        check(requests.post(api + "/snapshot/current/restore").status_code == 202, "restore current is 202")
        wait_for_task(server, dataset_id, "SNAPSHOT_RESTORE")

        clone = requests.post(api + f"/snapshot/{creation}/clone")
        check(clone.status_code == 202, f"clone is 202: {clone.text}")
        task = wait_for_task(server, dataset_id, "SNAPSHOT_CLONE", clone.headers.get("X-Dsnap-Task-Id"))
        check(task["status"] == "COMPLETED", f"clone task: {task}")
        clones = [d for d in requests.get(server.api("/datasets")).json() if d["dataset_id"] != dataset_id]
        check(len(clones) == 1 and clones[0]["dataset_name"] == "conf (cloned)", f"the clone is served: {clones}")
        clone_snapshots = requests.get(server.api(f"/dataset/{clones[0]['dataset_id']}/snapshot")).json()
        check([s["reason"] for s in clone_snapshots] == ["clone"], f"the clone's one snapshot: {clone_snapshots}")
        clone_tasks = requests.get(server.api("/tasks"), params={"dataset_id": clones[0]["dataset_id"],
                                                                  "task_type": "SNAPSHOT_CLONE"}).json()["tasks"]
        check(len(clone_tasks) == 1, f"the clone's task is listed for the new dataset: {clone_tasks}")

        tasks = requests.get(server.api("/tasks"), params={"dataset_id": dataset_id}).json()["tasks"]
        check([t["started_at"] for t in tasks] == sorted([t["started_at"] for t in tasks], reverse=True),
              "tasks are newest first")
        for path, method, code in [("/snapshot/ffff0000", "GET", 404), ("/snapshot/ffff0000", "PATCH", 404),
                                   ("/snapshot/ffff0000", "DELETE", 404), ("/snapshot/ffff0000/restore", "POST", 404),
                                   ("/snapshot/ffff0000/clone", "POST", 404)]:
            response = requests.request(method, api + path, json={"name": "x"} if method == "PATCH" else None)
            check(response.status_code == code and "detail" in response.json(), f"{method} {path}: {response.status_code}")
        unknown = requests.get(server.api("/dataset/00000000-0000-4000-8000-000000000000/snapshot"))
        check(unknown.status_code == 404, f"an unknown dataset is 404: {unknown.status_code}")
        check(requests.get(server.url + "/nope").status_code == 404, "an unknown path is 404")
        check(requests.put(api + "/snapshot").status_code == 405, "a wrong method is 405")
        check(requests.get(server.api("/tasks"), params={"task_type": "NOPE"}).status_code == 400, "bad task_type is 400")
    finally:
        server.stop()
    lab.sound(folder)


def raw(server, data, read=True, timeout=5):
    """Sends bytes on a fresh connection; returns the status line's code (or None if closed)."""
    host, port = server.url[len("http://"):].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as connection:
        connection.sendall(data)
        if not read:
            return None
        reply = b""
        try:
            while b"\r\n" not in reply:
                chunk = connection.recv(4096)
                if not chunk:
                    break
                reply += chunk
        except socket.timeout:
            return None
        match = re.match(rb"HTTP/1\.[01] (\d{3})", reply)
        return int(match.group(1)) if match else None


def case_bad_input(lab):
    """Malformed requests get a clear 4xx or a closed connection, and the server keeps serving."""
    folder, dataset_id, server, api = serving(lab, "bad")
    try:
        check(raw(server, b"NONSENSE\r\n\r\n") == 400, "a malformed request line is 400")
        check(raw(server, b"GET /api/v1/datasets HTTP/1.1\r\n\r\n") == 400, "HTTP/1.1 without Host is 400")
        check(raw(server, b"GET /api/v1/datasets HTTP/9.9\r\nHost: x\r\n\r\n") in (400, 505), "an unknown version is refused")
        check(raw(server, b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n") == 414, "a huge request line is 414")
        check(raw(server, b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"b" * 70000 + b"\r\n\r\n") == 431, "huge headers are 431")
        many = b"".join(b"X-%d: y\r\n" % index for index in range(500))
        check(raw(server, b"GET / HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n") == 431, "too many headers are 431")
        check(raw(server, b"POST /api/v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n") == 413, "a huge body is 413")
        check(raw(server, b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n") in (411, 501), "chunked is refused")
        not_json = requests.post(api + "/snapshot", data=b"{name: oops", headers={"Content-Type": "application/json"})
        check(not_json.status_code == 400 and "not JSON" in not_json.json()["detail"], f"a body not JSON: {not_json.text}")
        unknown = requests.post(api + "/snapshot", json={"name": "x", "descripton": "typo"})
        check(unknown.status_code == 400 and "descripton" in unknown.json()["detail"], f"unknown fields: {unknown.text}")
        wrong_type = requests.post(api + "/snapshot", json={"name": 42})
        check(wrong_type.status_code == 400, "a name that is not a string is 400")
        check(requests.post(api + "/snapshot", json=[1]).status_code == 400, "a body that is not an object is 400")
        check(requests.patch(api + "/snapshot/current", json={"name": ""}).status_code == 400, "an empty name is 400")
        traversal = requests.get(server.url + "/api/v1/dataset/..%2F..%2Fetc/snapshot")
        check(traversal.status_code == 404, f"a path in an id is only an unknown id: {traversal.status_code}")
        # A client that stops mid-request, and one that sends half its body.
        raw(server, b"POST /api/v1/datasets HTTP/1.1\r\nContent-Le", read=False)
        raw(server, b"POST /api/v1/datasets HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", read=False)
        # 1,000 idle connections, then a client still served.
        idle = []
        host, port = server.url[len("http://"):].rsplit(":", 1)
        try:
            for _ in range(1000):
                idle.append(socket.create_connection((host, int(port)), timeout=5))
            started = time.time()
            served = requests.get(server.api("/datasets"), timeout=10)
            check(served.status_code == 200, "a client is served beside 1,000 idle connections")
            print(f"served beside {len(idle)} idle connections in {1000 * (time.time() - started):.1f} ms")
        finally:
            for connection in idle:
                connection.close()
        check(requests.get(api + "/snapshot").status_code == 200, "the server keeps serving")
    finally:
        server.stop()
    lab.sound(folder)


def case_concurrency(lab):
    """A CLI commit and POSTs at the same moment serialise as two CLI commands do; no update lost."""
    folder, dataset_id, server, api = serving(lab, "conc")
    try:
        commits = []

        def cli():
            for n in range(6):
                commits.append(lab.dsnap("commit", "-q", "-m", f"cli-{n}", cwd=folder, check_exit=False))
                time.sleep(0.2)

        beside = threading.Thread(target=cli)
        beside.start()
        try:
            result = load(server, dataset_id, seconds=4, clients=12)
        finally:
            beside.join()
        check(result["errors"] == [], f"no request failed but documented 409s: {result['errors'][:5]}")
        check(all(c.returncode in (0, 4) for c in commits), f"CLI commits beside the server exit 0 or 4: "
              f"{[(c.returncode, c.stderr) for c in commits]}")
        # A commit in a shell and a POST at the same moment: one waits for nothing and is refused
        # (exit 4 or 409) only when the other holds the lock, as two CLI commits would be.
        for attempt in range(10):
            outcome = {}
            shell = threading.Thread(target=lambda: outcome.update(
                cli=lab.dsnap("commit", "-q", "-m", f"pair-{attempt}", cwd=folder, check_exit=False).returncode))
            shell.start()
            outcome["api"] = requests.post(api + "/snapshot", json={"name": f"pair-api-{attempt}"}).status_code
            shell.join()
            check((outcome["cli"], outcome["api"]) in [(0, 200), (4, 200), (0, 409)],
                  f"a CLI commit and a POST at once: exit {outcome['cli']}, HTTP {outcome['api']}")
        snapshots = requests.get(api + "/snapshot").json()
        for sid, description in result["updates"].items():
            match = [s for s in snapshots if s["snapshot_id"] == sid]
            check(match and match[0]["description"] == description, f"update of {sid} lost: {match}")
        print(f"{result['requests']} requests, {result['conflicts']} conflicts (409), "
              f"{len(result['updates'])} snapshots updated, none lost")
    finally:
        server.stop()
    lab.sound(folder)


def case_shutdown(lab):
    """SIGTERM while a restore runs: the restore finishes, then the server exits 0."""
    folder = lab.dataset("stop", images=200)
    dataset_id = lab.dataset_id(folder)
    for index in range(200):
        with open(os.path.join(folder, f"img{index}.jpg"), "wb") as f:
            f.write(os.urandom(64 * 1024))
    lab.dsnap("commit", "-q", "-m", "big", cwd=folder)
    server = Server(lab, folder)
    api = server.api(f"/dataset/{dataset_id}")
    creation = requests.get(api + "/snapshot").json()[-1]["snapshot_id"]
    response = requests.post(api + f"/snapshot/{creation}/restore")
    check(response.status_code == 202, "restore accepted")
    server.stop()
    status = json.loads(lab.dsnap("status", "--json", cwd=folder).stdout)
    check(status["state"] == "Ready" and status["snapshot"]["snapshot_id"] == creation,
          f"the restore finished before the server exited: {status['state']}")
    tasks = json.loads(lab.dsnap("tasks", "--json", cwd=folder).stdout)
    check(tasks[0]["task_type"] == "SNAPSHOT_RESTORE" and tasks[0]["status"] == "COMPLETED", f"task: {tasks[0]}")
    lab.sound(folder)


def case_token(lab):
    """Off loopback a token is required; with one, requests without it or with a wrong one are 403."""
    folder = lab.dataset("tok")
    dataset_id = lab.dataset_id(folder)
    refused = lab.dsnap("serve", "--listen", "0.0.0.0:0", cwd=folder, check_exit=False)
    check(refused.returncode == 2 and "token" in refused.stderr, f"0.0.0.0 without a token: {refused.stderr}")
    token_file = os.path.join(lab.root, "token")
    with open(token_file, "w") as f:
        f.write("s3cret-token-0123456789\n")
    server = Server(lab, folder, "--token-file", token_file)
    api = server.api(f"/dataset/{dataset_id}/snapshot")
    try:
        check(requests.get(api).status_code == 403, "no token is 403")
        check(requests.get(api, headers={"Authorization": "Bearer s3cret-token-012345678"}).status_code == 403,
              "a wrong token is 403")
        check(requests.get(api, headers={"Authorization": "Bearer s3cret-token-0123456789"}).status_code == 200,
              "the token is admitted")
    finally:
        server.stop()


def case_descriptors(lab):
    """A thousand requests of every kind, restores and clones among them, leave no descriptor open
    in the server: it runs for days."""
    folder = lab.dataset("fd")
    dataset_id = lab.dataset_id(folder)
    server = Server(lab, lab.root)
    api = server.api(f"/dataset/{dataset_id}")
    creation = requests.get(api + "/snapshot").json()[-1]["snapshot_id"]
    sent = 0

    def descriptors():
        return sorted(os.readlink(f"/proc/{server.process.pid}/fd/{name}")
                      for name in os.listdir(f"/proc/{server.process.pid}/fd"))

    def ask(method, path, expect, **options):
        nonlocal sent
        sent += 1
        response = requests.request(method, server.url + "/api/v1" + path, timeout=60, **options)
        check(response.status_code == expect, f"{method} {path}: {response.status_code}, expected {expect}: "
              f"{response.text[:200]}")
        return response

    def finish(response, kind):
        wait_for_task(server, dataset_id, kind, task_id=response.headers["X-Dsnap-Task-Id"])

    def round_of_requests(number):
        base = f"/dataset/{dataset_id}"
        spare = ask("POST", base + "/snapshot", 200, json={"name": f"spare-{number}"}).json()["snapshot_id"]
        created = ask("POST", base + "/snapshot", 200, json={"name": f"round-{number}"}).json()["snapshot_id"]
        ask("GET", "/datasets", 200)
        ask("GET", base, 200)
        ask("GET", base + "/status", 200)
        ask("GET", base + "/snapshot", 200)
        ask("GET", base + f"/snapshot/{created}", 200)
        ask("PATCH", base + f"/snapshot/{created}", 200, json={"description": f"round {number}"})
        ask("GET", "/tasks", 200, params={"dataset_id": dataset_id})
        ask("GET", "/dataset/00000000-0000-0000-0000-000000000000", 404)
        ask("PUT", base + "/snapshot", 405)
        ask("POST", base + "/snapshot", 400, data="{not json", headers={"Content-Type": "application/json"})
        ask("DELETE", base + f"/snapshot/{spare}", 200)
        if number % 20 == 0:
            finish(ask("POST", base + f"/snapshot/{creation}/restore", 202), "SNAPSHOT_RESTORE")
            finish(ask("POST", base + "/snapshot/current/clone", 202), "SNAPSHOT_CLONE")

    try:
        # The first round sets up what lives as long as the server (worker threads, say).
        round_of_requests(0)
        before = descriptors()
        for number in range(1, 81):
            round_of_requests(number)
        # A connection the server has not yet seen closed may still be open for a moment.
        deadline = time.time() + 5
        while len(descriptors()) > len(before) and time.time() < deadline:
            time.sleep(0.05)
        after = descriptors()
        check(len(after) <= len(before), f"{sent} requests left descriptors open: {before} -> {after}")
        print(f"{sent} requests: {len(before)} descriptors open before, {len(after)} after")
    finally:
        server.stop()
    lab.sound(folder)


# Load ------------------------------------------------------------------------------------------

def load(server, dataset_id, seconds, clients, creates=True):
    """`clients` threads for `seconds` mixing list, create, update and status on one dataset.
    Returns counts, latencies by kind, the updates each snapshot must show, and unexpected answers."""
    api = server.api(f"/dataset/{dataset_id}")
    lock = threading.Lock()
    latencies = {"list": [], "create": [], "update": [], "status": []}
    updates = {}
    errors = []
    counts = {"requests": 0, "conflicts": 0}
    stop_at = time.time() + seconds
    # Each client edits a snapshot of its own, one edit at a time: its last edit answered 200 is
    # what the snapshot must show at the end.
    owned = [create_retrying(api, f"owned-{n}") for n in range(clients)]

    def client(number):
        session = requests.Session()
        rng = random.Random(number)
        sequence = 0
        while time.time() < stop_at:
            kind = rng.choice(["list", "list", "status", "update", "create"] if creates else ["list", "status", "update"])
            sequence += 1
            started = time.perf_counter()
            try:
                if kind == "list":
                    response = session.get(api + "/snapshot", timeout=60)
                elif kind == "status":
                    response = session.get(api, timeout=60)
                elif kind == "create":
                    response = session.post(api + "/snapshot", json={"name": f"load-{number}-{sequence}"}, timeout=60)
                else:
                    description = f"client {number} edit {sequence}"
                    response = session.patch(api + f"/snapshot/{owned[number]}", json={"description": description},
                                             timeout=60)
            except requests.RequestException as error:
                with lock:
                    errors.append(f"{kind}: {error}")
                continue
            elapsed = time.perf_counter() - started
            with lock:
                counts["requests"] += 1
                if response.status_code == 409:
                    counts["conflicts"] += 1
                elif response.status_code != 200:
                    errors.append(f"{kind}: {response.status_code} {response.text[:200]}")
                else:
                    latencies[kind].append(elapsed)
                    if kind == "update":
                        updates[owned[number]] = description

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"requests": counts["requests"], "conflicts": counts["conflicts"], "errors": errors,
            "latencies": latencies, "updates": updates}


def create_retrying(api, name):
    """POSTs a snapshot until it is not refused for a running operation (409)."""
    for _ in range(500):
        response = requests.post(api + "/snapshot", json={"name": name})
        if response.status_code != 409:
            response.raise_for_status()
            return response.json()["snapshot_id"]
        time.sleep(0.02)
    raise Failure(f"creating {name}: 409 for 10 s")


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--case", choices=sorted(CASES))
    parser.add_argument("--load", type=float, metavar="SECONDS", help="run the load driver instead of a case")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    lab = Lab(args.bin)
    try:
        if args.load:
            folder = lab.dataset("load")
            server = Server(lab, folder)
            try:
                result = load(server, lab.dataset_id(folder), args.load, args.clients)
            finally:
                server.stop()
            lab.sound(folder)
            report = {"seconds": args.load, "clients": args.clients, "requests": result["requests"],
                      "throughput": result["requests"] / args.load, "conflicts": result["conflicts"],
                      "errors": len(result["errors"])}
            for kind, values in result["latencies"].items():
                report[kind] = {"count": len(values), "p50_ms": 1000 * percentile(values, 0.5),
                                "p99_ms": 1000 * percentile(values, 0.99)}
            print(json.dumps(report))
            return 0 if not result["errors"] else 1
        CASES[args.case](lab)
        print(f"ok: {args.case}")
        return 0
    except Failure as failure:
        print(f"FAILED: {args.case or 'load'}: {failure}")
        return 1
    finally:
        if not args.keep:
            lab.close()


CASES = {
    "reference-example": case_reference_example, "use-cases": case_use_cases, "conformance": case_conformance,
    "bad-input": case_bad_input, "concurrency": case_concurrency, "shutdown": case_shutdown, "token": case_token,
    "descriptors": case_descriptors,
}

if __name__ == "__main__":
    sys.exit(main())
