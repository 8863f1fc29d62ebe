import Foundation

/// `dsnap init`: makes a folder a dataset and takes its `creation` snapshot.
public enum CreateDataset {
    public static func run(at path: String, name: String?, author: Identity?, writer: SnapshotWriter,
                           context: OperationContext, progress: ProgressSink? = nil) throws -> (Dataset, SnapshotResult) {
        let root = URL(fileURLWithPath: path).standardizedFileURL.path
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        if fileManager.fileExists(atPath: root, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw DatasetError.notADirectory(path: root) }
        } else {
            do {
                try fileManager.createDirectory(atPath: root, withIntermediateDirectories: true)
            } catch {
                throw StorageError.fromErrno((error as NSError).code == NSFileWriteNoPermissionError ? EACCES : EIO,
                                             path: root)
            }
        }
        let gitDir = root + "/" + Dataset.gitDirName
        if fileManager.fileExists(atPath: gitDir) { throw DatasetError.alreadyADataset(path: root) }
        let datasetName = name ?? URL(fileURLWithPath: root).lastPathComponent
        guard !datasetName.isEmpty, !datasetName.contains("\0") else {
            throw DatasetError.invalidName("the name is empty")
        }
        guard access(root, W_OK) == 0 else { throw StorageError.permissionDenied(path: root) }

        let dotGit = root + "/.git"
        let hadDotGit = fileManager.fileExists(atPath: dotGit)
        do {
            let repository: GitRepository
            do {
                repository = try GitRepository.create(gitDir: gitDir, workDir: root, initialBranch: "main")
            } catch let failure as GitFailure where failure.kind == .exists {
                throw DatasetError.alreadyADataset(path: root)
            } catch let failure as GitFailure {
                throw failure.asDsnapError(path: gitDir)
            }
            // libgit2 writes a `.git` file pointing at `.dsnap`; left there it would make plain git
            // (and any enclosing repository) treat the dataset as a repository of its own.
            if !hadDotGit, let link = try? String(contentsOfFile: dotGit, encoding: .utf8), link.hasPrefix("gitdir:") {
                try? fileManager.removeItem(atPath: dotGit)
            }
            do {
                try repository.setConfig(Dataset.nameKey, datasetName)
                try repository.setConfig(Dataset.formatKey, String(Dataset.formatVersion))
            } catch let failure as GitFailure {
                throw failure.asDsnapError(path: gitDir)
            }
            // For plain git: `git --git-dir=.dsnap --work-tree=. status` must not list `.dsnap`.
            let exclude = gitDir + "/info/exclude"
            let existing = (try? String(contentsOfFile: exclude, encoding: .utf8)) ?? ""
            try (existing + "/\(Dataset.gitDirName)/\n").write(toFile: exclude, atomically: true, encoding: .utf8)

            let dataset = try Dataset(root: root, repository: repository)
            let lock = try DatasetLock.acquire(.exclusive, on: dataset, command: "init", context: context)
            defer { withExtendedLifetime(lock) {} }
            let result = try TakeSnapshot.run(SnapshotRequest(reason: .creation, author: author), in: dataset,
                                              writer: writer, context: context, progress: progress)
            return (dataset, result)
        } catch {
            // A failed init leaves the folder as it found it, so the user can fix the cause and rerun.
            try? fileManager.removeItem(atPath: gitDir)
            throw error
        }
    }
}
