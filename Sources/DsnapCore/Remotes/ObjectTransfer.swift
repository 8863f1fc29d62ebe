import FoundationEssentials
import Glibc

/// Moves objects between two repositories on this machine's file systems without libgit2's pack
/// protocol (which re-packs, and searches deltas between media, in process): loose objects are
/// hard-linked (they are immutable), or copied across file systems; packed ones travel as packs
/// or pack entries, as they are; only deltas are copied object by object.
///
/// Loose objects move on every core: each one is checked (when it comes from a remote) and then
/// linked or copied by the same worker, so no object enters the target unchecked, and hashing,
/// reading and creating files (slow on a busy disk, one per object) overlap instead of queueing
/// on one thread.
struct ObjectTransfer {
    let source: GitRepository
    let sourceGitDir: String
    let sourceObjects: String
    let target: GitRepository
    let targetObjects: String
    /// Folders made in the target get the group's write bit (a group-shared repository on a share).
    let groupShared: Bool

    struct Outcome {
        var linked = 0
        var copied = 0
    }

    /// Copies every object reachable from `roots` that the target lacks. `verifying`: each is
    /// first read whole and hashed in the source (objects from a remote are not trusted: a file
    /// whose content is not its name must not enter the dataset's store). `limits` bound what
    /// a remote may bring in (`FetchLimits`); `remote` names it in the error.
    func copyMissing(from roots: [GitOID], shallow: Set<GitOID> = [], verifying: Bool,
                     limits: FetchLimits? = nil) throws -> Outcome {
        // What the target's refs reach is whole there (refs move only after objects are synced).
        let complete = try target.allReferenceTargets().filter { try source.objectExists($0) }
        let missing = try source.objectsMissing(in: target, from: roots, complete: complete, shallow: shallow)
        try limits?.check(objects: missing.count)
        return try copy(missing, verifying: verifying, limits: limits)
    }

    /// What one worker did with one object.
    private enum Moved: Sendable {
        case linked, copied
        /// Not a loose object in the source: it travels with `PackCopy` after the loose ones.
        case packed
    }

    /// What a worker keeps from object to object.
    private final class Worker: @unchecked Sendable {
        let buffers = GitRepository.ObjectCheckBuffers()
        /// The source opened for this thread alone, to check packed objects through libgit2.
        let source: GitRepository?
        var madeFolders = Set<String>()

        init(sourceGitDir: String, verifying: Bool) {
            source = verifying ? try? GitRepository.open(gitDir: sourceGitDir) : nil
        }
    }

    func copy(_ ids: [GitOID], verifying: Bool, limits: FetchLimits? = nil) throws -> Outcome {
        var outcome = Outcome()
        let (sourceGitDir, sourceObjects, targetObjects, groupShared) =
            (self.sourceGitDir, self.sourceObjects, self.targetObjects, self.groupShared)
        let received = ByteCounter()
        let moved: [Moved] = try ParallelWork.run(
            ids.count, phase: "copying objects", progress: nil,
            makeState: { Worker(sourceGitDir: sourceGitDir, verifying: verifying) }
        ) { position, worker in
            let id = ids[position]
            if verifying {
                guard let source = worker.source else {
                    throw StorageError.io(path: sourceGitDir, reason: "cannot open the repository")
                }
                let checked = source.checkObject(id, buffers: worker.buffers)
                if case let .corrupt(detail)? = checked.fault {
                    throw StorageError.corrupt(detail: "object \(id.short) of the remote: \(detail)")
                }
                received.add(Int(checked.bytes))
                try limits?.check(bytes: received.bytesDone)
            }
            return try Self.moveLoose(id, from: sourceObjects, to: targetObjects, groupShared: groupShared,
                                      madeFolders: &worker.madeFolders, buffer: worker.buffers.output)
        }
        var packed: [GitOID] = []
        for (id, result) in zip(ids, moved) {
            switch result {
            case .linked: outcome.linked += 1
            case .copied: outcome.copied += 1
            case .packed: packed.append(id)
            }
        }
        guard !packed.isEmpty else { return outcome }
        try Self.makeFolder(targetObjects + "/pack", groupShared: groupShared)
        let packs = try PackCopy.copy(packed, from: sourceObjects, to: targetObjects)
        outcome.linked += packs.objectsLinked
        outcome.copied += packs.objectsCopied
        for id in packs.left {
            try target.copyObject(id, from: source)
            outcome.copied += 1
        }
        return outcome
    }

    /// Links loose object `id` into the target, or copies it when the file systems differ.
    private static func moveLoose(_ id: GitOID, from sourceObjects: String, to targetObjects: String,
                                  groupShared: Bool, madeFolders: inout Set<String>,
                                  buffer: UnsafeMutableRawBufferPointer) throws -> Moved {
        let from = id.looseObjectPath(in: sourceObjects).file
        let (folder, to) = id.looseObjectPath(in: targetObjects)
        if madeFolders.insert(folder).inserted { try makeFolder(folder, groupShared: groupShared) }
        if link(from, to) == 0 || errno == EEXIST { return .linked }
        switch errno {
        case ENOENT:
            return .packed
        case EXDEV, EPERM, EMLINK:
            try copyFile(from, to, objects: targetObjects, buffer: buffer)
            return .copied
        default:
            throw StorageError.fromErrno(errno, path: to)
        }
    }

    private static func makeFolder(_ folder: String, groupShared: Bool) throws {
        if mkdir(folder, 0o777) == 0 {
            if groupShared { chmod(folder, 0o2775) }
        } else if errno != EEXIST {
            throw StorageError.fromErrno(errno, path: folder)
        }
    }

    /// Copies in the worker's buffer, so a loose object of gigabytes costs no more memory than
    /// one of kilobytes; read-only, as git leaves its objects.
    private static func copyFile(_ from: String, _ to: String, objects: String,
                                 buffer: UnsafeMutableRawBufferPointer) throws {
        let input = open(from, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw StorageError.fromErrno(errno, path: from) }
        defer { close(input) }
        // In objects/ itself, where a killed copy's leftover is swept (TemporaryObject.removeLeftovers).
        let temporary = TemporaryName.make(in: objects, prefix: TemporaryObject.prefix)
        let output = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard output >= 0 else { throw StorageError.fromErrno(errno, path: to) }
        do {
            while true {
                let count = FileRead.some(input, into: buffer.baseAddress!, count: buffer.count)
                if count < 0 { throw StorageError.fromErrno(errno, path: from) }
                if count == 0 { break }
                try FileWrite.all(output, UnsafeRawBufferPointer(rebasing: buffer[..<count]), path: to)
            }
        } catch {
            close(output)
            unlink(temporary)
            throw error
        }
        close(output)
        // Named only when whole: a copy cut short never stands under an object's name.
        guard rename(temporary, to) == 0 else {
            let failure = errno
            unlink(temporary)
            throw StorageError.fromErrno(failure, path: to)
        }
    }
}
