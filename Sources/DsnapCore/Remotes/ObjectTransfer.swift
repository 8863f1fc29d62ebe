import FoundationEssentials
import Glibc

/// Moves objects between two repositories on this machine's file systems without libgit2's pack
/// protocol (which re-packs, and searches deltas between media, in process): loose objects are
/// hard-linked (they are immutable), or copied across file systems; packed ones travel as packs
/// or pack entries, as they are; only deltas are copied object by object.
struct ObjectTransfer {
    let source: GitRepository
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
    /// whose content is not its name must not enter the dataset's store).
    func copyMissing(from roots: [GitOID], shallow: Set<GitOID> = [], verifying: Bool) throws -> Outcome {
        // What the target's refs reach is whole there (refs move only after objects are synced).
        let complete = try target.allReferenceTargets().filter { try source.objectExists($0) }
        let missing = try source.objectsMissing(in: target, from: roots, complete: complete, shallow: shallow)
        if verifying {
            let buffers = GitRepository.ObjectCheckBuffers()
            for id in missing {
                if case let .corrupt(detail)? = source.checkObject(id, buffers: buffers).fault {
                    throw StorageError.corrupt(detail: "object \(id.short) of the remote: \(detail)")
                }
            }
        }
        return try copy(missing)
    }

    func copy(_ ids: [GitOID]) throws -> Outcome {
        var outcome = Outcome()
        var packed: [GitOID] = []
        var madeFolders = Set<String>()
        for id in ids {
            let from = id.looseObjectPath(in: sourceObjects).file
            let (folder, to) = id.looseObjectPath(in: targetObjects)
            if madeFolders.insert(folder).inserted { try makeFolder(folder) }
            if link(from, to) == 0 || errno == EEXIST {
                outcome.linked += 1
                continue
            }
            switch errno {
            case ENOENT:
                packed.append(id)
            case EXDEV, EPERM, EMLINK:
                try copyFile(from, to)
                outcome.copied += 1
            default:
                throw StorageError.fromErrno(errno, path: to)
            }
        }
        guard !packed.isEmpty else { return outcome }
        try makeFolder(targetObjects + "/pack")
        let packs = try PackCopy.copy(packed, from: sourceObjects, to: targetObjects)
        outcome.linked += packs.objectsLinked
        outcome.copied += packs.objectsCopied
        for id in packs.left {
            try target.copyObject(id, from: source)
            outcome.copied += 1
        }
        return outcome
    }

    private func makeFolder(_ folder: String) throws {
        if mkdir(folder, 0o777) == 0 {
            if groupShared { chmod(folder, 0o2775) }
        } else if errno != EEXIST {
            throw StorageError.fromErrno(errno, path: folder)
        }
    }

    private func copyFile(_ from: String, _ to: String) throws {
        // In objects/ itself, where a killed copy's leftover is swept (TemporaryObject.removeLeftovers).
        let temporary = TemporaryName.make(in: targetObjects, prefix: TemporaryObject.prefix)
        do {
            try FileManager.default.copyItem(atPath: from, toPath: temporary)
        } catch {
            unlink(temporary)
            throw StorageError.io(path: to, reason: String(describing: error))
        }
        // Named only when whole: a copy cut short never stands under an object's name.
        guard rename(temporary, to) == 0 else {
            let failure = errno
            unlink(temporary)
            throw StorageError.fromErrno(failure, path: to)
        }
    }
}
