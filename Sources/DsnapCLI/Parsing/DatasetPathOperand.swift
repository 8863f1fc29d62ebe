import DsnapCore
import FoundationEssentials

/// A PATH operand, given as git takes them: relative to the folder dsnap runs in (or absolute),
/// turned into the path from the dataset's root that trees and diffs use.
enum DatasetPathOperand {
    /// `""` for the dataset's own folder; a usage error for a path outside the dataset.
    static func relative(_ path: String, dataset: Dataset, invocation: Invocation, command: String) throws -> String {
        let absolute = URL(fileURLWithPath: invocation.absolutePath(path)).standardizedFileURL.path
        let root = dataset.root.hasSuffix("/") ? dataset.root : dataset.root + "/"
        if absolute == dataset.root || absolute + "/" == root { return "" }
        guard absolute.hasPrefix(root) else {
            throw UsageError(message: "path '\(path)' is outside the dataset '\(dataset.root)'", command: command)
        }
        return String(absolute.dropFirst(root.count))
    }
}
