import Foundation

/// Creates the `.dsnap` repository of a new dataset: shared by `init` and `clone`.
enum DatasetSetup {
    /// Makes `ROOT/.dsnap` with the dataset's name and format version, and the exclusions plain git
    /// needs. Throws `alreadyADataset` when another process made it first.
    static func createRepository(root: String, name: String) throws -> GitRepository {
        let gitDir = root + "/" + Dataset.gitDirName
        let dotGit = root + "/.git"
        let hadDotGit = FileManager.default.fileExists(atPath: dotGit)
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
            try? FileManager.default.removeItem(atPath: dotGit)
        }
        do {
            try repository.setConfig(Dataset.nameKey, name)
            try repository.setConfig(Dataset.formatKey, String(Dataset.formatVersion))
        } catch let failure as GitFailure {
            throw failure.asDsnapError(path: gitDir)
        }
        // For plain git: `git --git-dir=.dsnap --work-tree=. status` must not list `.dsnap`.
        let exclude = gitDir + "/info/exclude"
        let existing = (try? String(contentsOfFile: exclude, encoding: .utf8)) ?? ""
        do {
            try (existing + "/\(Dataset.gitDirName)/\n").write(toFile: exclude, atomically: true, encoding: .utf8)
        } catch {
            throw StorageError.io(path: exclude, reason: "\(error.localizedDescription)")
        }
        return repository
    }
}
