import DsnapCore

/// `dsnap __flush-work-tree ROOT TOKEN`: not for users. Restore and clone start it in the
/// background to flush the files they wrote and then remove their marker (see
/// `UnsyncedWorkTree`), so they can return before the disk has caught up.
enum FlushWorkTreeCommand {
    static let name = "__flush-work-tree"

    static let spec = CommandSpec(
        name: name,
        summary: "(internal) flush the files a restore or clone wrote, then remove its marker",
        operands: [OperandSpec("ROOT", help: "the dataset's folder"),
                   OperandSpec("TOKEN", help: "the marker in ROOT/.dsnap/unsynced to remove")],
        options: [],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        guard let root = arguments.operand(0), let token = arguments.operand(1) else { return }
        try UnsyncedWorkTree.flushAndClear(token: token, root: root, gitDir: root + "/" + Dataset.gitDirName)
    }
}
