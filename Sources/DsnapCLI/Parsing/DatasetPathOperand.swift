import DsnapCore
import FoundationEssentials
import Glibc

/// A PATH operand, given as git takes them: relative to the folder dsnap runs in (or absolute),
/// turned into the path from the dataset's root that trees and diffs use.
enum DatasetPathOperand {
    /// `""` for the dataset's own folder; a usage error for a path outside the dataset.
    /// The name a PATH operand stands for: the name it quotes when it is quoted as dsnap prints
    /// names (`"caf\351.json"`, quotes included, or without them as a shell leaves it), unless a
    /// file of that very name is at `absolute` (the operand read literally); else the operand.
    static func unquoted(_ typed: String, unlessFileAt absolute: String) -> String {
        guard typed.utf8.contains(UInt8(ascii: "\\")) || typed.utf8.first == UInt8(ascii: "\"") else { return typed }
        var info = stat()
        guard lstat(PathBytes.cString(absolute), &info) != 0 else { return typed }
        return QuotedPath.parse(typed) ?? QuotedPath.unescaped(typed) ?? typed
    }

    static func relative(_ path: String, dataset: Dataset, invocation: Invocation, command: String) throws -> String {
        try invocation.datasetPath(path, in: dataset, command: command)
    }
}
