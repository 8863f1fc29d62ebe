@testable import DsnapCore
import Foundation
import XCTest

/// Index entries longer than libgit2 1.5 writes (its 8 KiB buffer) are added to the file it wrote
/// without them: in git's order, read back by libgit2, by dsnap's own reader and by git.
final class IndexFileLongEntriesTests: XCTestCase {
    func testEntriesLongerThanLibgit2WritesAreAddedInOrderAndReadBack() throws {
        let scratch = try ScratchDataset()
        let (dataset, _) = try CreateDataset.run(at: scratch.path, name: "x", author: nil, writer: FastSnapshotWriter(),
                                                 context: testContext())
        let index = try dataset.repository.index()
        let before = index.entryCount
        var info = stat()
        XCTAssertEqual(stat(scratch.path + "/labels.csv", &info), 0)
        let id = try XCTUnwrap(GitOID(hex: String(repeating: "ab", count: 20)))
        let long = ["0first/" + String(repeating: "y", count: 9_000), "m/" + String(repeating: "z", count: 8_200) + "/f",
                    "zz/" + String(repeating: "w", count: 12_000)]
        for path in long { try index.add(path: path, id: id, mode: GitFileMode.regular, stat: info) }
        try index.write()
        XCTAssertEqual(index.entryCount, before + 3, "the index in memory keeps them")

        // libgit2, reading the file afresh.
        let reopened = try Dataset.open(root: dataset.root)
        let read = try reopened.repository.index()
        XCTAssertEqual(read.entryCount, before + 3)
        for path in long { XCTAssertEqual(read.entries(under: path).map(\.id), [id], String(path.prefix(10))) }
        // dsnap's reader: every entry, in git's order.
        let file = try XCTUnwrap(IndexFile.read(path: dataset.gitDir + "/index"))
        XCTAssertEqual(file.count, before + 3)
        let paths = (0..<file.count).map { PathBytes.bytes(file.path($0)) }
        XCTAssertEqual(paths, paths.sorted { $0.lexicographicallyPrecedes($1) })
        XCTAssertNil(file.cachedRootTree, "the tree cache no longer counts the entries right")
        // git, which checks the file's checksum.
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        git.arguments = ["git", "--git-dir=" + dataset.gitDir, "ls-files"]
        let pipe = Pipe()
        git.standardOutput = pipe
        try git.run()
        let listed = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        git.waitUntilExit()
        XCTAssertEqual(git.terminationStatus, 0)
        XCTAssertEqual(listed.split(separator: "\n").count, before + 3)
        XCTAssertTrue(listed.hasPrefix("0first/"))

        // Written again, with nothing new: the same entries.
        try read.remove(path: long[1])
        try read.write()
        XCTAssertEqual(IndexFile.read(path: dataset.gitDir + "/index")?.count, before + 2)
    }
}
