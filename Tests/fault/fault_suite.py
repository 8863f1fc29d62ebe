#!/usr/bin/env python3
"""dsnap's fault-injection suite: tries hard to make dsnap lose data, and checks it never does.

Kinds of fault (--only KIND or KIND:OPERATION, comma-separated):
  kill       kill -9 at a random instant during commit, restore, clone, update, delete, undelete, gc;
             when every command of an operation finished before its kill, up to 5 more trials
             kill earlier, and an operation no kill reached fails
  syscall    one system call made to fail (strace -e inject=SYSCALL:error=E:when=N): every N from 1
             until no call is left to fail (--torture), or a sample of N per call (--small)
  diskfull   commit, restore, clone and gc on a small tmpfs that is full (skipped where it cannot mount)
  concurrent 8 processes running commit, update, delete, undelete, log, status, diff, verify and gc at once

After every fault: the command failed with one clear `dsnap: error:` line and a documented exit code
(6 for an injected I/O error; never a trap, a backtrace or exit 1); `dsnap status` explains the
state; the documented recovery completes (rerun the command, `dsnap restore --continue`); `dsnap
verify` (when this dsnap has it) and `git fsck --full` are clean; every snapshot that existed before
has the same tree, object for object; a killed restore left each file old or new, never torn; no
temporary file or stale lock is left.

Python 3 standard library only. Prints the seed first, each trial's outcome, and closes with
`N passed, N failed, N skipped`. Failures listed in KNOWN_FAILURES (with their reason) are reported
as known and not counted as failed. Exit status: 0 when nothing failed, 1 otherwise.
"""

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

OPERATIONS = ["commit", "restore", "clone", "update", "delete", "undelete", "gc"]
KINDS = ["kill", "syscall", "diskfull", "concurrent"]

# The system calls the syscall kind makes fail, those of them present in this kernel's table.
SYSCALLS = ["openat", "write", "pwrite64", "rename", "renameat", "renameat2", "fsync", "fdatasync", "syncfs",
            "copy_file_range", "linkat", "link", "unlink", "unlinkat", "mkdir", "mkdirat"]
# Calls that a careful program retries when interrupted: EINTR there must not fail the command.
RETRIED_ON_EINTR = {"write", "pwrite64"}
# A failed flush must fail the command before any ref moves (issue 15 item 3). Restore and clone leave
# the work tree's flush to a background process by design, so only these are held to it.
SYNC_CALLS = {"fsync", "fdatasync", "syncfs"}
IN_PROCESS_SYNC = {"commit", "update", "delete", "undelete", "gc"}

# Failures that are understood and reported elsewhere: (kind, operation, text in the problem, reason).
# A trial whose every problem matches an entry is reported as KNOWN, not FAILED.
KNOWN_FAILURES = [
    ("syscall", "*", ".lock (stale lock)",
     "libgit2 leaves a lock file (a ref's, HEAD's, the index's) when unlinking it fails after what it guarded "
     "was written (the command succeeded); the next command that holds the lock guarding it, or dsnap gc, "
     "removes it"),
    ("syscall", "restore", "(a replaced file not deleted)",
     "an unlink that fails in the background flush leaves a file the restore replaced in .dsnap/replaced/ "
     "(its content is in a snapshot or an autosave); the next restore, or dsnap gc, removes it"),
    ("syscall", "*", "expected one 'dsnap: error:' line on stderr, got 0",
     "the write made to fail was the one printing the error to stderr itself (exit 6 is still right); "
     "nothing can report a failure through a stream that fails"),
    ("syscall", "*", "died of signal 4",
     "openat=EIO when=1 fails the first openat of every thread (strace counts per thread), libdispatch's "
     "own included: its workqueue monitor crashes on purpose (SIGILL in _dispatch_workq_monitor_pools) when "
     "it cannot read /proc/TID/stat. Not dsnap's code, and no disk error can reach /proc"),
    ("syscall", "*", "exit -4 for an injected", "as above"),
]

TEMPORARY_WORK_TREE_PREFIX = ".dsnap-tmp-"          # Dataset.temporaryFilePrefix (restore, clone)
TEMPORARY_OBJECT_PREFIXES = ("tmp_dsnap_",)         # TemporaryObject.swift, in objects/
TEMPORARY_PACK_PREFIXES = ("tmp_pack_dsnap_",)      # PackWriter.temporaryPrefix, in objects/pack/
PERSISTENT_LOCKS = {"dsnap.lock", "notes.lock"}     # the flock files of DatasetLock and MetadataLock
TRAP_MARKERS = ("Fatal error", "Stack dump", "backtrace", "Backtrace", "internal error", "Illegal instruction",
                "Segmentation fault", "Assertion failed", "Current stack trace", "this is a bug")


def log(text=""):
    print(text, flush=True)


def blob_id(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Result:
    def __init__(self, code, out, err, seconds=0.0):
        self.code, self.out, self.err, self.seconds = code, out, err, seconds

    def brief(self):
        err = self.err.strip().splitlines()
        # A failed verify says what it found on stdout: keep its first lines too.
        out = self.out.strip().splitlines() if self.code not in (0, None) else []
        return "exit %s%s%s" % (self.code, (": " + " | ".join(err[:3])) if err else "",
                                (" | stdout: " + " | ".join(out[:3])) if out else "")


class Trial:
    """One fault and everything checked after it."""

    def __init__(self, kind, operation, label, repro=""):
        self.kind, self.operation, self.label, self.repro = kind, operation, label, repro
        self.problems = []
        self.skipped = None
        self.notes = []

    def fail(self, text):
        self.problems.append(text)

    def known_reasons(self):
        reasons = []
        for problem in self.problems:
            match = [k for k in KNOWN_FAILURES if k[0] in (self.kind, "*") and k[1] in (self.operation, "*") and k[2] in problem]
            if not match:
                return None
            reasons.append(match[0][3])
        return sorted(set(reasons))


class Dsnap:
    """Runs the binary with a fixed environment."""

    def __init__(self, binary, home):
        self.binary = binary
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "TZ": "UTC", "LANG": "C.UTF-8",
            "USER": "tester", "GIT_AUTHOR_NAME": "Fault Tester", "GIT_AUTHOR_EMAIL": "fault@example.com",
            "GIT_CONFIG_NOSYSTEM": "1", "NO_COLOR": "1",
        }
        help_text = self.run(["help"], "/").out
        self.commands = set(re.findall(r"^  ([a-z]+)\s", help_text, re.M))

    def has(self, command):
        return command in self.commands

    def run(self, args, cwd, timeout=300, prefix=None):
        command = (prefix or []) + [self.binary] + args
        start = time.monotonic()
        try:
            done = subprocess.run(command, cwd=cwd, env=self.env, stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired as expired:
            return Result("timeout", (expired.stdout or b"").decode(errors="replace"),
                          (expired.stderr or b"").decode(errors="replace") + "\n(timed out after %ss)" % timeout,
                          time.monotonic() - start)
        return Result(done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace"),
                      time.monotonic() - start)

    def start(self, args, cwd):
        return subprocess.Popen([self.binary] + args, cwd=cwd, env=self.env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def json(self, args, cwd):
        result = self.run(args + ["--json"], cwd)
        if result.code != 0:
            return None, result
        try:
            return json.loads(result.out), result
        except ValueError:
            return None, result

    def snapshot(self, args, cwd):
        """The snapshot a command reports: its JSON output's member `snapshot` (dsnap(1), JSON OUTPUT)."""
        doc, result = self.json(args, cwd)
        return (doc or {}).get("snapshot") if doc is not None else None, result


def git(ds, *args, check=False):
    done = subprocess.run(["git", "--git-dir=" + os.path.join(ds, ".dsnap")] + list(args), capture_output=True,
                          env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GIT_CONFIG_NOSYSTEM": "1",
                               "HOME": os.environ.get("HOME", "/tmp")})
    if check and done.returncode != 0:
        raise RuntimeError("git %s failed: %s" % (" ".join(args), done.stderr.decode(errors="replace")))
    return done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace")


# ---------------------------------------------------------------------------------------------------
# Datasets


def write_file(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)


def sidecar(rng, index):
    labels = rng.sample(["cat", "dog", "car", "tree", "person", "bike", "boat", "bird"], rng.randint(1, 3))
    return (json.dumps({"id": index, "labels": labels, "quality": rng.choice(["low", "mid", "high"]),
                        "bbox": [rng.randint(0, 640) for _ in range(4)],
                        "annotations": [{"id": k, "category_id": rng.randint(1, 90)} for k in range(rng.randint(0, 4))]},
                       indent=2) + "\n").encode()


def generate(root, rng, pairs, big_files, big_size):
    """Small random "images" of a few KB, each with a JSON sidecar, and a few larger "videos"."""
    for index in range(pairs):
        folder = os.path.join(root, "images", "d%02d" % (index % 40))
        write_file(os.path.join(folder, "img_%05d.jpg" % index), rng.randbytes(rng.randint(1024, 8192)))
        write_file(os.path.join(folder, "img_%05d.jpg.json" % index), sidecar(rng, index))
    for index in range(big_files):
        write_file(os.path.join(root, "videos", "clip_%d.mp4" % index), rng.randbytes(big_size))
    write_file(os.path.join(root, "labels.csv"), b"".join(b"img_%05d,%d\n" % (i, i % 7) for i in range(pairs)))


def work_tree_files(root):
    """Relative path -> absolute path of every file in the work tree (not .dsnap)."""
    found = {}
    for folder, dirs, files in os.walk(root):
        if folder == root and ".dsnap" in dirs:
            dirs.remove(".dsnap")
        for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            path = os.path.join(folder, name)
            found[os.path.relpath(path, root)] = path
    return found


def mutate(root, rng, fraction):
    """Edits sidecars, rewrites images, adds and removes files: a fraction of the dataset changes."""
    files = sorted(p for p in work_tree_files(root) if not os.path.basename(p).startswith("."))
    count = max(1, int(len(files) * fraction))
    for rel in rng.sample(files, min(count, len(files))):
        path = os.path.join(root, rel)
        if rel.endswith(".json"):
            write_file(path, sidecar(rng, rng.randint(0, 10 ** 6)))
        elif rel.endswith(".jpg"):
            write_file(path, rng.randbytes(rng.randint(1024, 8192)))
    for rel in rng.sample(files, min(max(1, count // 4), len(files))):
        if os.path.exists(os.path.join(root, rel)) and not rel.startswith("videos"):
            os.unlink(os.path.join(root, rel))
    stamp = rng.randint(0, 10 ** 9)
    for index in range(max(1, count // 4)):
        folder = os.path.join(root, "images", "new%02d" % (index % 5))
        write_file(os.path.join(folder, "n_%d_%d.jpg" % (stamp, index)), rng.randbytes(rng.randint(1024, 8192)))
        write_file(os.path.join(folder, "n_%d_%d.jpg.json" % (stamp, index)), sidecar(rng, index))


class Template:
    """A dataset with history, made once and copied for each trial, and what it held before any fault.

    Snapshots: s0 (creation, has the big files), s1, s2, sd (deleted), s3 (current, without the
    big files, so a restore to s0 writes them back), and a few unreachable objects for gc to reclaim.
    """

    def __init__(self, suite, name, pairs, big_files, big_size):
        self.root = os.path.join(suite.workdir, "template-" + name)
        self.ds = os.path.join(self.root, "ds")
        rng = random.Random(suite.seed * 7919 + pairs)
        os.makedirs(self.ds)
        generate(self.ds, rng, pairs, big_files, big_size)
        d = suite.dsnap
        ids = {}

        def step(args, key):
            result = d.run(args + ["--json"], self.ds)
            if result.code != 0:
                raise RuntimeError("making the template: dsnap %s: %s" % (" ".join(args), result.brief()))
            ids[key] = json.loads(result.out)["snapshot"]["snapshot_id"]

        step(["init", "--name", "Fault Data"], "s0")
        mutate(self.ds, rng, 0.1)
        step(["commit", "-m", "second", "-d", "first edit"], "s1")
        mutate(self.ds, rng, 0.1)
        step(["commit", "-m", "third"], "s2")
        mutate(self.ds, rng, 0.05)
        step(["commit", "-m", "doomed"], "sd")
        mutate(self.ds, rng, 0.1)
        shutil.rmtree(os.path.join(self.ds, "videos"))
        step(["commit", "-m", "fourth"], "s3")
        deleted = d.run(["delete", ids["sd"]], self.ds)
        if deleted.code != 0:
            raise RuntimeError("making the template: delete: " + deleted.brief())
        for index in range(20):  # garbage: objects nothing reaches
            subprocess.run(["git", "--git-dir=" + os.path.join(self.ds, ".dsnap"), "hash-object", "-w", "--stdin"],
                           input=rng.randbytes(2000), capture_output=True, check=True)
        self.ids = ids
        self.refs = snapshot_refs(self.ds)
        self.trees = {oid: tree_listing(self.ds, oid) for oid in set(self.refs.values())}
        self.files = sum(1 for _ in work_tree_files(self.ds))

    def copy(self, trial_dir):
        ds = os.path.join(trial_dir, "ds")
        subprocess.run(["cp", "-a", self.ds, ds], check=True)
        return ds


def snapshot_refs(ds):
    code, out, _ = git(ds, "for-each-ref", "--format=%(refname) %(objectname)", "refs/dsnap/")
    refs = {}
    for line in out.splitlines():
        name, oid = line.split(" ")
        refs[name] = oid
    return refs


def tree_listing(ds, oid):
    """path -> (mode, blob id) of a snapshot, from plain git."""
    code, out, err = git(ds, "ls-tree", "-r", "--full-tree", oid)
    if code != 0:
        return None
    listing = {}
    for line in out.splitlines():
        meta, path = line.split("\t", 1)
        mode, _, obj = meta.split(" ")
        listing[path] = (mode, obj)
    return listing


def current_tree_state(root):
    """path -> blob id of each work tree file, temporary names left out."""
    state = {}
    for rel, path in work_tree_files(root).items():
        if os.path.basename(rel).startswith(TEMPORARY_WORK_TREE_PREFIX):
            continue
        if os.path.islink(path):
            state[rel] = blob_id(os.readlink(path).encode())
        else:
            with open(path, "rb") as handle:
                state[rel] = blob_id(handle.read())
    return state


# ---------------------------------------------------------------------------------------------------
# Checks


def check_error_message(trial, result, what):
    """A failed command: one `dsnap: error:` line, hints, no trap, no backtrace, no libgit2 jargon."""
    if result.code == "timeout":
        trial.fail("%s hung (timed out)" % what)
        return
    if result.code < 0:
        trial.fail("%s died of signal %d: %s" % (what, -result.code, result.err.strip()[:300]))
        return
    lines = [line for line in result.err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("dsnap: error: ")]
    if len(errors) != 1:
        trial.fail("%s: expected one 'dsnap: error:' line on stderr, got %d: %r" % (what, len(errors), result.err[:400]))
    for marker in TRAP_MARKERS:
        if marker in result.err:
            trial.fail("%s: %r on stderr: %r" % (what, marker, result.err[:400]))
            break
    if re.search(r"\bgit_[a-z_]+\b", result.err):
        trial.fail("%s: libgit2 function name on stderr: %r" % (what, result.err[:300]))


def check_status_explains(trial, suite, ds, when):
    """`dsnap status` runs; an Error state names its problem and its fix."""
    status, result = suite.dsnap.json(["status"], ds)
    if status is None:
        trial.fail("status %s: %s" % (when, result.brief()))
        return None
    state = status.get("state")
    if state not in ("Ready", "Read Only", "Error"):
        trial.fail("status %s: unknown state %r" % (when, state))
    if state == "Error":
        detail = status.get("state_detail") or {}
        if not detail.get("problem") or not detail.get("fix"):
            trial.fail("status %s: Error without problem and fix: %r" % (when, detail))
    return status


def flushing_tokens():
    """Markers some background flush is working on: the token is the last word of its command line."""
    tokens = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as handle:
                words = handle.read().split(b"\0")
        except OSError:
            continue
        words = [w for w in words if w]
        if len(words) >= 3:
            tokens.add(words[-1].decode(errors="replace"))
    return tokens


def wait_background_flush(ds, seconds=20):
    """Restore and clone leave their flush (and deleting replaced files) to a background dsnap.

    Waits until no marker in .dsnap/unsynced has a background flush working on it. A marker whose
    operation was killed before it started its flush stays, as documented (dsnap-restore(1):
    settled by a restore or commit a minute later).
    """
    folder = os.path.join(ds, ".dsnap", "unsynced")
    deadline = time.monotonic() + seconds
    while True:
        names = set(os.listdir(folder)) if os.path.isdir(folder) else set()
        if not names & flushing_tokens():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def leftover_temporaries(ds):
    left = []
    for rel in work_tree_files(ds):
        if os.path.basename(rel).startswith(TEMPORARY_WORK_TREE_PREFIX):
            left.append(rel)
    git_dir = os.path.join(ds, ".dsnap")
    for folder, dirs, files in os.walk(git_dir):
        rel_folder = os.path.relpath(folder, git_dir)
        for name in files:
            rel = os.path.normpath(os.path.join(".dsnap", rel_folder, name))
            if rel_folder == "objects" and name.startswith(TEMPORARY_OBJECT_PREFIXES):
                left.append(rel)
            elif rel_folder == os.path.join("objects", "pack") and name.startswith(TEMPORARY_PACK_PREFIXES):
                left.append(rel)
            elif rel_folder == "replaced":
                left.append(rel + " (a replaced file not deleted)")
            elif name.endswith(".lock") and not (rel_folder == "." and name in PERSISTENT_LOCKS):
                left.append(rel + " (stale lock)")
            elif name.endswith(".tmp") or name.startswith("tmp_"):
                left.append(rel)
    return left


def check_sound(trial, suite, ds, template, expect_deleted=(), expect_live=()):
    """What must hold once recovery has run: verify, fsck, old snapshots intact, no temporaries."""
    if not wait_background_flush(ds):
        trial.fail("the background flush did not finish within 20 s")
    status = check_status_explains(trial, suite, ds, "after recovery")
    if status is not None and status.get("state") != "Ready":
        trial.fail("status after recovery: %s %r" % (status.get("state"), status.get("state_detail")))
    if suite.dsnap.has("verify"):
        verified = suite.dsnap.run(["verify"], ds)
        if verified.code != 0:
            trial.fail("dsnap verify after recovery: %s" % verified.brief())
    code, out, err = git(ds, "fsck", "--full", "--no-progress")
    if code != 0:
        trial.fail("git fsck --full after recovery: exit %d: %s" % (code, (err or out).strip()[:400]))
    if template is not None:
        after = snapshot_refs(ds)
        for ref, oid in template.refs.items():
            short = oid[:12]
            if oid in expect_live and ref.startswith("refs/dsnap/deleted/"):
                continue
            if after.get(ref) != oid:
                trial.fail("ref %s (snapshot %s) is %s after recovery" % (ref, short, after.get(ref, "missing")))
            if tree_listing(ds, oid) != template.trees[oid]:
                trial.fail("snapshot %s's tree changed or lost objects" % short)
        for oid in expect_deleted:
            if after.get("refs/dsnap/deleted/" + oid) != oid:
                trial.fail("snapshot %s has no tombstone after a successful delete" % oid[:12])
    left = leftover_temporaries(ds)
    if left:
        trial.fail("temporary files left after recovery: %s" % ", ".join(sorted(left)[:6]))
        if suite.dsnap.has("gc"):  # gc removes temporary files of dead processes: it must leave none
            collected = suite.dsnap.run(["gc"], ds)
            still = leftover_temporaries(ds)
            if collected.code != 0:
                trial.fail("dsnap gc to remove them: %s" % collected.brief())
            elif still:
                trial.fail("dsnap gc leaves temporary files: %s" % ", ".join(sorted(still)[:6]))


def check_torn(trial, ds, old, new, when):
    """Each work-tree file is its old or its new version; a temporary name is allowed before recovery."""
    state = current_tree_state(ds)
    for rel, oid in state.items():
        olds = old.get(rel, (None, None))[1]
        news = new.get(rel, (None, None))[1]
        if oid in (olds, news):
            continue
        if olds is None and news is None:
            trial.fail("%s: stray file %s, in neither snapshot" % (when, rel))
        elif olds is None:
            trial.fail("%s: partly written new file %s" % (when, rel))
        else:
            trial.fail("%s: torn file %s (neither its old nor its new content)" % (when, rel))


def check_matches(trial, ds, listing, what):
    state = current_tree_state(ds)
    expected = {path: obj for path, (mode, obj) in listing.items()}
    if state != expected:
        extra = sorted(set(state) - set(expected))
        missing = sorted(set(expected) - set(state))
        differ = sorted(p for p in set(state) & set(expected) if state[p] != expected[p])
        trial.fail("%s: work tree differs (extra %s, missing %s, differ %s)" % (what, extra[:3], missing[:3], differ[:3]))


# ---------------------------------------------------------------------------------------------------
# Operations: how each is prepared, run, recovered and checked


class Operation:
    """One mutating command on a copy of a template."""

    def __init__(self, suite, name, template, trial_dir, rng):
        self.suite, self.name, self.t, self.dir, self.rng = suite, name, template, trial_dir, rng
        self.ds = template.copy(trial_dir)
        self.ids = template.ids
        self.tag = "trial-%d" % rng.randint(0, 10 ** 9)
        self.clone_dest = os.path.join(trial_dir, "clone")
        if name == "commit":
            mutate(self.ds, rng, 0.05)

    def args(self):
        return {
            "commit": ["commit", "-m", self.tag],
            "restore": ["restore", self.ids["s0"]],
            "clone": ["clone", self.ids["s1"], self.clone_dest],
            "update": ["update", self.ids["s1"], "--description", self.tag],
            "delete": ["delete", self.ids["s1"]],
            "undelete": ["undelete", self.ids["sd"]],
            "gc": ["gc"],
        }[self.name]

    def after_fault(self, trial, when):
        """Checks on the state a fault left, before any recovery."""
        check_status_explains(trial, self.suite, self.ds, when)
        if self.name == "restore":
            check_torn(trial, self.ds, self.t.trees[self.ids["s3"]], self.t.trees[self.ids["s0"]], when)

    def recover(self, trial):
        """The documented recovery: rerun the command (restore: --continue when status says Error)."""
        d = self.suite.dsnap
        if self.name == "restore":
            status, _ = d.json(["status"], self.ds)
            if status and status.get("state") == "Error":
                result = d.run(["restore", "--continue"], self.ds)
                what = "restore --continue"
            else:
                result = d.run(self.args(), self.ds)
                what = "restore again"
            if result.code != 0:
                trial.fail("recovery (%s): %s" % (what, result.brief()))
            return
        if self.name == "clone" and os.path.exists(self.clone_dest):
            return  # the clone finished before the fault: nothing to redo
        result = d.run(self.args(), self.ds)
        allowed = {"delete": (0, 3), "undelete": (0, 4)}.get(self.name, (0,))
        if result.code not in allowed:
            trial.fail("recovery (rerun %s): %s" % (self.name, result.brief()))

    def check(self, trial):
        """The operation's own result, once recovered, then soundness."""
        d = self.suite.dsnap
        expect_deleted, expect_live = (), ()
        if self.name == "commit":
            status, result = d.json(["status"], self.ds)
            if status is None:
                trial.fail("status: " + result.brief())
            else:
                if not status.get("clean"):
                    trial.fail("after the commit's recovery the work tree is not clean: %r" % status.get("files", [])[:3])
                if (status.get("snapshot") or {}).get("snapshot_name") != self.tag:
                    trial.fail("current snapshot is not the one committed")
        elif self.name == "restore":
            check_matches(trial, self.ds, self.t.trees[self.ids["s0"]], "after the restore's recovery")
            current = git(self.ds, "rev-parse", "HEAD")[1].strip()
            if current != self.ids["s0"]:
                trial.fail("HEAD is %s, not the restored snapshot" % current[:12])
        elif self.name == "clone":
            clone = self.clone_dest
            if not os.path.isdir(os.path.join(clone, ".dsnap")):
                trial.fail("no clone at the destination after recovery")
            else:
                check_matches(trial, clone, self.t.trees[self.ids["s1"]], "the clone")
                sub = Trial(trial.kind, trial.operation, trial.label)
                check_sound(sub, self.suite, clone, None)
                trial.problems += ["clone: " + p for p in sub.problems]
            hidden = [n for n in os.listdir(self.dir) if ".dsnap-clone-" in n]
            if hidden:
                trial.fail("hidden clone folder left beside the destination: %s" % hidden)
        elif self.name == "update":
            shown, result = d.snapshot(["show", self.ids["s1"]], self.ds)
            if shown is None or shown.get("description") != self.tag:
                trial.fail("the update is lost: show says %r" % (shown or {}).get("description"))
        elif self.name == "delete":
            expect_deleted = (self.ids["s1"],)
            listed, _ = d.json(["log", "--all"], self.ds)
            if listed is not None and any(s["snapshot_id"] == self.ids["s1"] for s in listed):
                trial.fail("deleted snapshot still listed by log --all")
        elif self.name == "undelete":
            expect_live = (self.ids["sd"],)
            listed, _ = d.json(["log", "--all"], self.ds)
            if listed is None or not any(s["snapshot_id"] == self.ids["sd"] for s in listed):
                trial.fail("undeleted snapshot not listed by log --all")
        check_sound(trial, self.suite, self.ds, self.t, expect_deleted, expect_live)


# ---------------------------------------------------------------------------------------------------
# The suite


class Suite:
    def __init__(self, options):
        self.options = options
        self.seed = options.seed
        self.rng = random.Random(self.seed)
        self.workdir = tempfile.mkdtemp(prefix="dsnap-fault-", dir=options.workdir)
        home = os.path.join(self.workdir, "home")
        os.makedirs(home)
        self.dsnap = Dsnap(os.path.abspath(options.bin), home)
        self.trials = []
        self.templates = {}
        self.counter = 0
        self.torture = options.torture

    def selected(self, kind, operation=None):
        if not self.options.only:
            return True
        for item in self.options.only.split(","):
            want_kind, _, want_op = item.partition(":")
            if want_kind == kind and (not want_op or operation is None or want_op == operation):
                return True
        return False

    def template(self, name):
        if name not in self.templates:
            if name == "large":
                pairs = self.options.files // 2
                self.templates[name] = Template(self, name, pairs, 3, 1 << 20 if self.torture else 256 << 10)
            else:
                self.templates[name] = Template(self, name, 30, 1, 200 << 10)
            t = self.templates[name]
            log("template %s: %d files, snapshots %s" % (name, t.files, ", ".join(
                "%s=%s" % (k, v[:12]) for k, v in sorted(t.ids.items()))))
        return self.templates[name]

    def trial_dir(self):
        self.counter += 1
        path = os.path.join(self.workdir, "t%05d" % self.counter)
        os.makedirs(path)
        return path

    def record(self, trial):
        self.trials.append(trial)
        if trial.skipped:
            outcome = "SKIP (%s)" % trial.skipped
        elif not trial.problems:
            outcome = "PASS"
        elif trial.known_reasons() is not None:
            outcome = "KNOWN: " + "; ".join(trial.problems[:3]) + " [known: " + "; ".join(trial.known_reasons()) + "]"
        else:
            outcome = "FAIL: " + "; ".join(trial.problems[:6])
            if trial.repro:
                outcome += "\n    reproduce: " + trial.repro
        notes = (" (" + ", ".join(trial.notes) + ")") if trial.notes else ""
        log("[%s] %s %s%s: %s" % (trial.kind, trial.operation, trial.label, notes, outcome))

    def skip(self, kind, operation, reason):
        trial = Trial(kind, operation, "")
        trial.skipped = reason
        self.record(trial)

    def available(self, operation):
        return operation != "gc" or self.dsnap.has("gc")

    # -- kill -9 ------------------------------------------------------------------------------------

    def run_kill(self):
        per_operation = self.options.trials or (50 if self.torture else 2)
        for operation in OPERATIONS:
            if not self.selected("kill", operation):
                continue
            if not self.available(operation):
                self.skip("kill", operation, "this dsnap has no '%s' command yet" % operation)
                continue
            template = self.template("large")
            # How long the command runs undisturbed: kills land anywhere in that time.
            calibration = Operation(self, operation, template, self.trial_dir(), random.Random(self.rng.random()))
            timed = self.dsnap.run(calibration.args(), calibration.ds)
            duration = max(timed.seconds, 0.01)
            shutil.rmtree(calibration.dir, ignore_errors=True)
            if timed.code != 0:
                trial = Trial("kill", operation, "calibration")
                trial.fail("the command fails without any fault: " + timed.brief())
                self.record(trial)
                continue
            repeat = "%s %s --bin %s --seed %d --only kill:%s" % (sys.executable, os.path.abspath(__file__),
                                                                  self.options.bin, self.seed, operation)
            landed = 0
            for number in range(per_operation):
                delay = self.rng.uniform(0, duration * 1.1)
                trial = Trial("kill", operation, "#%d kill at %.3fs of %.3fs" % (number + 1, delay, duration), repeat)
                landed += self.kill_trial(trial, operation, template, delay)
                self.record(trial)
            # A trial whose command finished before its kill tested only the command: when none
            # landed (a fast machine, a short command), more trials kill earlier, up to a bound,
            # and an operation no kill reached is a failure, not a pass.
            for number in range(per_operation, per_operation + 5):
                if landed:
                    break
                delay = self.rng.uniform(0, duration * 0.5)
                trial = Trial("kill", operation, "#%d kill at %.3fs of %.3fs, earlier: none had landed"
                              % (number + 1, delay, duration), repeat)
                landed += self.kill_trial(trial, operation, template, delay)
                self.record(trial)
            if not landed:
                trial = Trial("kill", operation, "coverage", repeat)
                trial.fail("every command finished before its kill (%d trials): no kill was tested"
                           % (per_operation + 5))
                self.record(trial)

    def kill_trial(self, trial, operation, template, delay):
        """One command killed after `delay` seconds; returns 1 when the kill landed, else 0."""
        directory = self.trial_dir()
        op = Operation(self, operation, template, directory, random.Random(self.rng.random()))
        process = self.dsnap.start(op.args(), op.ds)
        time.sleep(delay)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            trial.notes.append("killed")
        else:
            trial.notes.append("finished first, exit %d" % process.returncode)
        out, err = process.communicate()
        landed = 1 if process.returncode == -signal.SIGKILL else 0
        if process.returncode not in (0, -signal.SIGKILL):
            result = Result(process.returncode, out.decode(errors="replace"), err.decode(errors="replace"))
            trial.fail("the command failed by itself: " + result.brief())
        op.after_fault(trial, "after the kill")
        op.recover(trial)
        op.check(trial)
        if not trial.problems and not self.options.keep:
            shutil.rmtree(directory, ignore_errors=True)
        return landed

    # -- systematic syscall failure -------------------------------------------------------------------

    def strace_prefix(self, syscall, error, when, log_path):
        return ["strace", "-f", "-qq", "-o", log_path, "-e", "trace=" + syscall,
                "-e", "inject=%s:error=%s:when=%d" % (syscall, error, when), "--"]

    def count_syscalls(self, operation, template):
        """How many of each system call the command makes (all threads and children together)."""
        directory = self.trial_dir()
        op = Operation(self, operation, template, directory, random.Random(self.seed))
        path = os.path.join(directory, "count")
        result = self.dsnap.run(op.args(), op.ds, prefix=["strace", "-f", "-qq", "-c", "-o", path, "-e",
                                                           "trace=" + ",".join(self.syscalls)])
        counts = {}
        if result.code == 0 and os.path.exists(path):
            for line in open(path):
                parts = line.split()
                if len(parts) >= 5 and parts[-1] in self.syscalls and parts[3].isdigit():
                    counts[parts[-1]] = int(parts[3])
        shutil.rmtree(directory, ignore_errors=True)
        return counts, result

    def run_syscall(self):
        if shutil.which("strace") is None:
            self.skip("syscall", "*", "strace is not installed")
            return
        probe = subprocess.run(["strace", "-f", "-qq", "-o", "/dev/null", "true"], capture_output=True)
        if probe.returncode != 0:
            self.skip("syscall", "*", "strace cannot trace here: " + probe.stderr.decode(errors="replace").strip())
            return
        self.syscalls = []
        for name in SYSCALLS:
            ok = subprocess.run(["strace", "-qq", "-o", "/dev/null", "-e", "trace=" + name, "true"], capture_output=True)
            if ok.returncode == 0:
                self.syscalls.append(name)
        for operation in OPERATIONS:
            if not self.selected("syscall", operation):
                continue
            if not self.available(operation):
                self.skip("syscall", operation, "this dsnap has no '%s' command yet" % operation)
                continue
            template = self.template("tiny")
            counts, result = self.count_syscalls(operation, template)
            if result.code != 0:
                trial = Trial("syscall", operation, "count")
                trial.fail("the command fails under strace without any fault: " + result.brief())
                self.record(trial)
                continue
            log("syscall counts for %s: %s" % (operation, ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
            plan = []
            for syscall, count in sorted(counts.items()):
                errors = ["EIO", "ENOSPC"] + (["EINTR"] if syscall in RETRIED_ON_EINTR else [])
                for error in errors:
                    plan.append((syscall, error, count))
            if self.torture:
                for syscall, error, count in plan:
                    limit = min(count + 1, self.options.max_n or count + 1)
                    for when in range(1, limit + 1):
                        if not self.syscall_trial(operation, template, syscall, error, when):
                            break  # no call left to fail
            else:
                samples = self.options.trials or 4
                for syscall, error, count in self.rng.sample(plan, min(samples, len(plan))):
                    self.syscall_trial(operation, template, syscall, error, self.rng.randint(1, count))

    def syscall_trial(self, operation, template, syscall, error, when):
        """One run with the when-th call of syscall (per thread) failing; returns whether a call failed."""
        directory = self.trial_dir()
        op = Operation(self, operation, template, directory, random.Random(self.seed + when))
        trace = os.path.join(directory, "strace.log")
        prefix = self.strace_prefix(syscall, error, when, trace)
        label = "%s=%s when=%d" % (syscall, error, when)
        trial = Trial("syscall", operation, label,
                      "cd DATASET && " + " ".join(prefix[:-1]).replace(trace, "/dev/null") + " dsnap " + " ".join(op.args()))
        result = self.dsnap.run(op.args(), op.ds, prefix=prefix)
        hit = os.path.exists(trace) and "INJECTED" in open(trace, errors="replace").read()
        if result.code == 127 and "error while loading shared libraries" in result.err:
            trial.skipped = "the dynamic loader's call, before dsnap runs"
            self.record(trial)
            shutil.rmtree(directory, ignore_errors=True)
            return True
        if not hit:
            trial.notes.append("no call left to fail")
        trial.notes.append("exit %s" % result.code)
        if hit and result.code == 0 and syscall in SYNC_CALLS and operation in IN_PROCESS_SYNC:
            trial.fail("a failed %s (%s) was ignored: the command exited 0" % (syscall, error))
        if result.code != 0:
            if error == "EINTR":
                trial.fail("%s interrupted (EINTR) was not retried: %s" % (syscall, result.brief()))
            elif result.code != 6:
                trial.fail("exit %s for an injected %s (expected 6): %s" % (result.code, error, result.brief()))
            check_error_message(trial, result, "dsnap " + operation)
        op.after_fault(trial, "after the failure")
        op.recover(trial)
        op.check(trial)
        self.record(trial)
        if not trial.problems and not self.options.keep:
            shutil.rmtree(directory, ignore_errors=True)
        return hit

    # -- full disk ------------------------------------------------------------------------------------

    def run_diskfull(self):
        wanted = [o for o in ("commit", "restore", "clone", "gc") if self.selected("diskfull", o)]
        if not wanted:
            return
        template = self.template("tiny")
        for operation in wanted:
            if not self.available(operation):
                self.skip("diskfull", operation, "this dsnap has no '%s' command yet" % operation)
                continue
            directory = self.trial_dir()
            mount = os.path.join(directory, "disk")
            os.makedirs(mount)
            mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mount], capture_output=True)
            if mounted.returncode != 0:
                self.skip("diskfull", operation, "cannot mount a tmpfs here: " +
                          mounted.stderr.decode(errors="replace").strip())
                continue
            trial = Trial("diskfull", operation, "24 MiB tmpfs")
            try:
                self.diskfull_trial(trial, operation, template, mount)
            except Exception as failure:  # a broken trial is a failed trial, never a crashed suite
                trial.fail("the trial itself failed: %r" % failure)
            finally:
                subprocess.run(["umount", "-l", mount], capture_output=True)
            self.record(trial)

    def fill(self, mount, leave):
        """Fills the file system but for `leave` bytes."""
        stat = os.statvfs(mount)
        free = stat.f_bavail * stat.f_frsize
        size = max(0, free - leave)
        with open(os.path.join(mount, "filler"), "wb") as handle:
            chunk = b"\0" * (1 << 20)
            while size > 0:
                part = min(size, len(chunk))
                try:
                    handle.write(chunk[:part])
                except OSError:
                    break
                size -= part

    def diskfull_trial(self, trial, operation, template, mount):
        d = self.dsnap
        ds = os.path.join(mount, "ds")
        subprocess.run(["cp", "-a", template.ds, ds], check=True)
        rng = random.Random(self.seed)
        refs_before = snapshot_refs(ds)
        head_before = git(ds, "rev-parse", "HEAD")[1].strip()
        dest = os.path.join(mount, "clone")
        if operation == "commit":
            write_file(os.path.join(ds, "videos", "big.mp4"), rng.randbytes(3 << 20))
            mutate(ds, rng, 0.2)
            args, leave = ["commit", "-m", "on a full disk"], 1 << 20
        elif operation == "restore":
            args, leave = ["restore", template.ids["s0"]], 64 << 10
        elif operation == "clone":
            args, leave = ["clone", template.ids["s0"], dest], 64 << 10
        else:
            # loose copies of the work tree's objects, for gc to pack
            subprocess.run(["git", "--git-dir=" + ds + "/.dsnap", "hash-object", "-w", "--stdin-paths"],
                           input="\n".join(sorted(work_tree_files(ds).values())).encode(), capture_output=True)
            args, leave = ["gc"], 0
        self.fill(mount, leave)
        failed = d.run(args, ds)
        trial.notes.append("exit %s" % failed.code)
        if failed.code == 0:
            trial.notes.append("succeeded on the full disk")
        else:
            if failed.code != 6:
                trial.fail("exit %s on a full disk (expected 6): %s" % (failed.code, failed.brief()))
            check_error_message(trial, failed, "dsnap " + operation)
            if "no space" not in failed.err.lower():
                trial.fail("the message does not say the disk is full: %r" % failed.err.strip()[:200])
            if operation != "restore" and git(ds, "rev-parse", "HEAD")[1].strip() != head_before:
                trial.fail("HEAD moved although %s failed" % operation)
            if operation == "commit" and snapshot_refs(ds) != refs_before:
                trial.fail("a snapshot ref appeared although the commit failed")
            if operation == "clone" and os.path.exists(dest):
                trial.fail("the failed clone left its destination")
            hidden = [n for n in os.listdir(mount) if ".dsnap-clone-" in n]
            if operation == "clone" and hidden:
                trial.fail("the failed clone left its hidden folder: %s" % hidden)
            check_status_explains(trial, self, ds, "on the full disk")
        os.unlink(os.path.join(mount, "filler"))
        if operation == "restore":
            status, _ = d.json(["status"], ds)
            again = d.run(["restore", "--continue"] if status and status.get("state") == "Error" else args, ds)
        elif operation == "clone" and os.path.exists(dest):
            again = Result(0, "", "")
        else:
            again = d.run(args, ds)
        if again.code != 0:
            trial.fail("after space was freed, %s: %s" % (operation, again.brief()))
        if operation == "restore":
            check_matches(trial, ds, template.trees[template.ids["s0"]], "after the restore")
        if operation == "clone" and os.path.isdir(dest):
            check_matches(trial, dest, template.trees[template.ids["s0"]], "the clone")
        check_sound(trial, self, ds, template)

    # -- concurrency ----------------------------------------------------------------------------------

    def run_concurrent(self):
        if not self.selected("concurrent"):
            return
        template = self.template("tiny")
        seconds = self.options.seconds or (60 if self.torture else 6)
        directory = self.trial_dir()
        ds = template.copy(directory)
        ids = template.ids
        d = self.dsnap
        trial = Trial("concurrent", "mixed", "8 processes for %ds" % seconds,
                      "%s %s --bin %s --seed %d --only concurrent" % (sys.executable, os.path.abspath(__file__),
                                                                     self.options.bin, self.seed))
        stop = time.monotonic() + seconds
        lock = threading.Lock()
        tally = {}
        last_update = {}
        deleted = {"state": True}  # sd starts deleted
        problems = []

        def note(command, result):
            with lock:
                key = "%s %s" % (command, result.code)
                tally[key] = tally.get(key, 0) + 1
                if result.code == 0:
                    return True
                if result.code == 4:
                    sub = Trial("concurrent", command, "")
                    check_error_message(sub, result, "dsnap " + command)
                    problems.extend(sub.problems)
                    return False
                problems.append("dsnap %s: %s" % (command, result.brief()))
                return False

        def worker(role, seed):
            rng = random.Random(seed)
            serial = 0
            while time.monotonic() < stop:
                serial += 1
                if role == "commit":
                    write_file(os.path.join(ds, "images", "conc", "f%d.json" % rng.randint(0, 20)), sidecar(rng, serial))
                    note("commit", d.run(["commit", "-q", "-m", "conc-%d" % serial], ds))
                elif role.startswith("update"):
                    target = ids["s0"] if role == "update-a" else rng.choice([ids["s1"], ids["s2"]])
                    text = "%s-%d-%d" % (role, serial, rng.randint(0, 10 ** 6))
                    if note("update", d.run(["update", "-q", target, "--description", text], ds)):
                        last_update[target] = text
                elif role == "delete":
                    command = "undelete" if deleted["state"] else "delete"
                    if note(command, d.run([command, "-q", ids["sd"]], ds)):
                        deleted["state"] = not deleted["state"]
                elif role == "read":
                    note("log", d.run(["log", "--all", "--json"], ds))
                    note("show", d.run(["show", ids["s1"], "--json"], ds))
                elif role == "status":
                    note("status", d.run(["status", "--json"], ds))
                    note("diff", d.run(["diff", ids["s0"], ids["s3"], "--stat"], ds))
                elif role == "verify":
                    if d.has("verify"):
                        note("verify", d.run(["verify"], ds))
                    else:
                        note("tasks", d.run(["tasks"], ds))
                        time.sleep(0.05)
                elif role == "gc":
                    if d.has("gc"):
                        note("gc", d.run(["gc"], ds))
                    else:
                        note("diff", d.run(["diff", "--stat"], ds))
                        time.sleep(0.05)

        roles = ["commit", "update-a", "update-b", "delete", "read", "status", "verify", "gc"]
        threads = [threading.Thread(target=worker, args=(role, self.rng.random())) for role in roles]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        trial.notes.append(", ".join("%s: %d" % kv for kv in sorted(tally.items())))
        if not d.has("verify"):
            trial.notes.append("verify skipped: not in this dsnap")
        if not d.has("gc"):
            trial.notes.append("gc skipped: not in this dsnap")
        trial.problems.extend(problems[:10])
        for target, text in sorted(last_update.items()):
            shown, result = d.snapshot(["show", target], ds)
            if shown is None or shown.get("description") != text:
                trial.fail("lost update on %s: last successful set %r, show says %r" %
                           (target[:12], text, (shown or {}).get("description")))
        listed, _ = d.json(["log", "--all"], ds)
        is_live = listed is not None and any(s["snapshot_id"] == ids["sd"] for s in listed)
        if is_live == deleted["state"]:
            trial.fail("snapshot %s: deleted is %s, but the last successful delete/undelete says %s" %
                       (ids["sd"][:12], not is_live, deleted["state"]))
        expect = ((), (ids["sd"],)) if not deleted["state"] else ((ids["sd"],), ())
        check_sound(trial, self, ds, template, expect_deleted=expect[0], expect_live=expect[1])
        self.record(trial)

    # -- all ------------------------------------------------------------------------------------------

    def run(self):
        log("dsnap fault suite: seed %d (%s), binary %s, work folder %s" % (
            self.seed, "torture" if self.torture else "small", self.dsnap.binary, self.workdir))
        for command in ("verify", "gc"):
            if not self.dsnap.has(command):
                log("note: this dsnap has no '%s' command: its checks and trials are skipped" % command)
        started = time.monotonic()
        for kind in KINDS:
            if self.selected(kind):
                getattr(self, "run_" + kind)()
        passed = sum(1 for t in self.trials if not t.skipped and not t.problems)
        known = sum(1 for t in self.trials if not t.skipped and t.problems and t.known_reasons() is not None)
        failed = sum(1 for t in self.trials if not t.skipped and t.problems and t.known_reasons() is None)
        skipped = sum(1 for t in self.trials if t.skipped)
        if failed and not self.options.keep:
            log("the failed trials' folders are kept under %s" % self.workdir)
        log("seed %d, %.1f s; %d known failures (see KNOWN_FAILURES)" % (self.seed, time.monotonic() - started, known))
        log("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
        if not failed and not self.options.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)
        return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--small", action="store_true", help="a few trials of each kind (inside make test; the default)")
    size.add_argument("--torture", action="store_true", help="50+ kills per operation, every N of every call")
    parser.add_argument("--seed", type=int, default=None, help="the random seed (printed; default: from the clock)")
    parser.add_argument("--only", default="", help="KIND[:OPERATION],... among " + ", ".join(KINDS))
    parser.add_argument("--bin", default=None, help="the dsnap binary (default: .build/debug/dsnap, or DSNAP_BIN)")
    parser.add_argument("--files", type=int, default=None, help="files in the kill dataset (small 600, torture 3000)")
    parser.add_argument("--trials", type=int, default=None, help="kills per operation / sampled N per operation")
    parser.add_argument("--max-n", type=int, default=None, help="torture: the largest N tried per call")
    parser.add_argument("--seconds", type=int, default=None, help="how long the concurrent run lasts")
    parser.add_argument("--workdir", default=None, help="where trials run (default: the system's temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep every trial's folder")
    options = parser.parse_args()
    if options.seed is None:
        options.seed = int(time.time() * 1000) % 1000000
    if options.bin is None:
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        options.bin = os.environ.get("DSNAP_BIN") or os.path.join(root, ".build", "debug", "dsnap")
    if options.files is None:
        options.files = 3000 if options.torture else 600
    for item in filter(None, options.only.split(",")):
        if item.partition(":")[0] not in KINDS:
            parser.error("unknown kind %r (kinds: %s)" % (item, ", ".join(KINDS)))
    if not os.access(options.bin, os.X_OK):
        parser.error("no dsnap binary at %s (build it, or give --bin)" % options.bin)
    sys.exit(Suite(options).run())


if __name__ == "__main__":
    main()
