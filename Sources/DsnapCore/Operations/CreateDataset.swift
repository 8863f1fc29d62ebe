import FoundationEssentials
import Glibc

/// `dsnap init`: makes a folder a dataset and takes its `creation` snapshot.
public enum CreateDataset {
    public static func run(at path: String, name: String?, author: Identity?, writer: SnapshotWriter,
                           context: OperationContext, progress: ProgressSink? = nil) throws -> (Dataset, SnapshotResult) {
        let root = URL(fileURLWithPath: path).standardizedFileURL.path
        guard !PathBytes.hasEscapes(root) else { throw DatasetError.folderNotUTF8(path: root) }
        let fileManager = FileManager.default
        // Everything that can be checked is checked before the first write.
        let datasetName = name ?? URL(fileURLWithPath: root).lastPathComponent
        guard !datasetName.isEmpty, !datasetName.contains("\0") else {
            throw DatasetError.invalidName("the name is empty")
        }
        var info = stat()
        let folderExisted = stat(root, &info) == 0
        if folderExisted {
            guard info.st_mode & S_IFMT == S_IFDIR else { throw DatasetError.notADirectory(path: root) }
        } else {
            do {
                try fileManager.createDirectory(atPath: root, withIntermediateDirectories: true)
            } catch {
                throw StorageError.fromErrno(access(root.parentPath.isEmpty ? "." : root.parentPath, W_OK) == 0
                                             ? EIO : EACCES, path: root)
            }
        }
        let gitDir = root + "/" + Dataset.gitDirName
        if fileManager.fileExists(atPath: gitDir) { throw DatasetError.alreadyADataset(path: root) }
        guard access(root, W_OK) == 0 else { throw StorageError.permissionDenied(path: root) }

        let repository: GitRepository
        do {
            repository = try DatasetSetup.createRepository(root: root, name: datasetName)
        } catch {
            if !folderExisted { try? fileManager.removeItem(atPath: root) }
            throw error
        }
        do {
            let dataset = try Dataset(root: root, repository: repository)
            let lock = try DatasetLock.acquire(.exclusive, on: dataset, command: "init", context: context)
            defer { withExtendedLifetime(lock) {} }
            let result = try TakeSnapshot.recorded(SnapshotRequest(reason: .creation, author: author), in: dataset,
                                                   writer: writer, context: context, progress: progress)
            return (dataset, result)
        } catch {
            // A failed init leaves the folder as it found it, so the user can fix the cause and rerun.
            try? fileManager.removeItem(atPath: folderExisted ? gitDir : root)
            throw error
        }
    }
}
