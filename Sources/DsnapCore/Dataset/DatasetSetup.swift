import FoundationEssentials
import Glibc

/// Creates the `.dsnap` repository of a new dataset: shared by `init` and `clone`.
enum DatasetSetup {
    /// Makes `ROOT/.dsnap` with the dataset's name and format version, and the exclusions plain git
    /// needs. Throws `alreadyADataset` when another process made it first.
    static func createRepository(root: String, name: String) throws -> GitRepository {
        let gitDir = root + "/" + Dataset.gitDirName
        let repository: GitRepository
        do {
            repository = try GitRepository.create(gitDir: gitDir, initialBranch: "main")
        } catch let failure as GitFailure where failure.kind == .exists {
            throw DatasetError.alreadyADataset(path: root)
        } catch let failure as GitFailure {
            throw failure.asDsnapError(path: gitDir)
        }
        do {
            try repository.setConfig(Dataset.nameKey, name)
            try repository.setConfig(Dataset.formatKey, String(Dataset.formatVersion))
            try repository.setConfig(Dataset.idKey, UUID().uuidString.lowercased())
        } catch let failure as GitFailure {
            throw failure.asDsnapError(path: gitDir)
        }
        // For plain git: `git --git-dir=.dsnap --work-tree=. status` must not list `.dsnap` (nor
        // the `.dsnap` of a dataset nested inside this one).
        let exclude = gitDir + "/info/exclude"
        let existing = (try? String(contentsOfFile: exclude, encoding: .utf8)) ?? ""
        do {
            // Only the last folder: the dataset's own must not be made again (see GitRepository.create).
            guard mkdir(gitDir + "/info", 0o777) == 0 || errno == EEXIST else {
                throw StorageError.fromErrno(errno, path: gitDir + "/info")
            }
            try (existing + Dataset.builtInIgnoreRules).write(toFile: exclude, atomically: true, encoding: .utf8)
        } catch {
            throw StorageError.io(path: exclude, reason: "\(String(describing: error))")
        }
        return repository
    }
}
