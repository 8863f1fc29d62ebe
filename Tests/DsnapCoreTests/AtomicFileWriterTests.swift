@testable import DsnapCore
import Foundation
import XCTest

/// `AtomicFileWriter`, the file writer of restore and clone: a new file appears complete, what
/// stands in the way (a file, a link, an empty folder, a file where a folder belongs) is replaced
/// without being followed, and the stat it returns is the one a later status will see. Real files.
final class AtomicFileWriterTests: XCTestCase {
    private var folder = ""
    private var root: String { folder + "/tree" }

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "dsnap-writer-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder + "/.git/objects", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func makeWriter() -> AtomicFileWriter {
        AtomicFileWriter(root: root, gitDir: folder + "/.git")
    }

    private func lstatOf(_ relative: String) throws -> stat {
        var info = stat()
        guard lstat(root + "/" + relative, &info) == 0 else { throw StorageError.fromErrno(errno, path: relative) }
        return info
    }

    /// The fields a status compares (`StatCacheCheck`), equal between the returned stat and the path's.
    private func assertSameStat(_ returned: stat, _ relative: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let now = try lstatOf(relative)
        XCTAssertEqual(returned.st_ino, now.st_ino, relative, file: file, line: line)
        XCTAssertEqual(returned.st_size, now.st_size, relative, file: file, line: line)
        XCTAssertEqual(returned.st_mode, now.st_mode, relative, file: file, line: line)
        XCTAssertEqual(returned.st_mtim.tv_sec, now.st_mtim.tv_sec, relative, file: file, line: line)
        XCTAssertEqual(returned.st_mtim.tv_nsec, now.st_mtim.tv_nsec, relative, file: file, line: line)
        XCTAssertEqual(returned.st_ctim.tv_sec, now.st_ctim.tv_sec, relative, file: file, line: line)
        XCTAssertEqual(returned.st_ctim.tv_nsec, now.st_ctim.tv_nsec, relative, file: file, line: line)
    }

    private func contents(_ relative: String) throws -> String {
        try String(contentsOfFile: root + "/" + relative, encoding: .utf8)
    }

    /// A kill at any instant of a write must leave the path absent or complete: while the content
    /// streams in, nothing is at the path yet, for a new file and for one that is replaced.
    func testAFileBeingWrittenIsNeverVisibleUnderItsName() throws {
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        git.arguments = ["git", "init", "-q", "--bare", folder + "/.git"]
        try git.run()
        git.waitUntilExit()
        let content = Data((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let source = folder + "/big.bin"
        try content.write(to: URL(fileURLWithPath: source))
        let hash = Process()
        let pipe = Pipe()
        hash.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        hash.arguments = ["git", "--git-dir=" + folder + "/.git", "hash-object", "-w", source]
        hash.standardOutput = pipe
        try hash.run()
        hash.waitUntilExit()
        let hex = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let blob = try XCTUnwrap(GitOID(hex: hex.trimmingCharacters(in: .whitespacesAndNewlines)))
        for path in ["media/new.bin", "media/new.bin"] {   // the second time, it replaces the first
            let before = try? lstatOf(path)
            var checks = 0
            let writer = makeWriter()
            let info = try XCTUnwrap(try writer.write(path: path, blob: blob, mode: GitFileMode.regular) { _ in
                checks += 1
                let now = try? self.lstatOf(path)
                XCTAssertEqual(now?.st_ino, before?.st_ino, "a partly written file is visible at its path")
            })
            XCTAssertGreaterThan(checks, 1, "the content did not stream in chunks")
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: root + "/" + path)), content)
            try assertSameStat(info, path)
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: root + "/media")
        XCTAssertEqual(leftovers, ["new.bin"])
    }

    func testNewFilesAreCreatedInPlaceWithTheirFoldersAndTheirStat() throws {
        let writer = makeWriter()
        let first = try writer.write(path: "a/b/one.json", bytes: Array("one".utf8), mode: GitFileMode.regular)
        let second = try writer.write(path: "a/b/two.json", bytes: Array("two".utf8), mode: GitFileMode.regular)
        let tool = try writer.write(path: "a/run.sh", bytes: Array("#!/bin/sh\n".utf8), mode: GitFileMode.executable)
        let link = try writer.write(path: "a/b/link.jpg", bytes: Array("one.json".utf8), mode: GitFileMode.symlink)
        XCTAssertEqual(try contents("a/b/one.json"), "one")
        XCTAssertEqual(try contents("a/b/two.json"), "two")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/a/b/link.jpg"), "one.json")
        XCTAssertNotEqual(tool.st_mode & 0o100, 0, "an executable blob lost its x bit")
        try assertSameStat(first, "a/b/one.json")
        try assertSameStat(second, "a/b/two.json")
        try assertSameStat(tool, "a/run.sh")
        try assertSameStat(link, "a/b/link.jpg")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: root + "/a/b").sorted()
        XCTAssertEqual(leftovers, ["link.jpg", "one.json", "two.json"], "a temporary file was left behind")
    }

    func testWhatStandsInTheWayIsReplacedNeverFollowed() throws {
        let outside = folder + "/outside.json"
        try "outside".write(toFile: outside, atomically: false, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: root + "/d", withIntermediateDirectories: true)
        try "old".write(toFile: root + "/d/file.json", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/d/link.json", withDestinationPath: outside)
        try FileManager.default.createDirectory(atPath: root + "/d/empty", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/d/oldlink", withDestinationPath: outside)
        let oldInode = try lstatOf("d/file.json").st_ino

        let writer = makeWriter()
        let file = try writer.write(path: "d/file.json", bytes: Array("new".utf8), mode: GitFileMode.regular)
        let overLink = try writer.write(path: "d/link.json", bytes: Array("mine".utf8), mode: GitFileMode.regular)
        let overFolder = try writer.write(path: "d/empty", bytes: Array("was a folder".utf8), mode: GitFileMode.regular)
        let linkOverLink = try writer.write(path: "d/oldlink", bytes: Array("file.json".utf8), mode: GitFileMode.symlink)

        XCTAssertEqual(try contents("d/file.json"), "new")
        XCTAssertNotEqual(file.st_ino, oldInode, "the file was written in place, not replaced")
        XCTAssertEqual(try contents("d/link.json"), "mine")
        XCTAssertEqual(try String(contentsOfFile: outside, encoding: .utf8), "outside", "wrote through a link")
        XCTAssertEqual(try contents("d/empty"), "was a folder")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/d/oldlink"), "file.json")
        try assertSameStat(file, "d/file.json")
        try assertSameStat(overLink, "d/link.json")
        try assertSameStat(overFolder, "d/empty")
        try assertSameStat(linkOverLink, "d/oldlink")
        let names = try FileManager.default.contentsOfDirectory(atPath: root + "/d").sorted()
        XCTAssertEqual(names, ["empty", "file.json", "link.json", "oldlink"], "a temporary file was left behind")
    }

    func testAFolderHoldingFilesIsRefusedAndLeftAlone() throws {
        try FileManager.default.createDirectory(atPath: root + "/kept", withIntermediateDirectories: true)
        try "ignored".write(toFile: root + "/kept/scratch.tmp", atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try makeWriter().write(path: "kept", bytes: Array("file".utf8), mode: GitFileMode.regular)) {
            XCTAssertEqual($0 as? CheckoutError, .directoryInTheWay("kept"))
        }
        XCTAssertEqual(try contents("kept/scratch.tmp"), "ignored")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root), ["kept"], "a temporary file was left behind")
    }

    func testAFileOrLinkWhereTheTreeHasAFolderIsRemovedNotFollowed() throws {
        let outside = folder + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/images", withDestinationPath: outside)
        try "a file".write(toFile: root + "/labels", atomically: false, encoding: .utf8)

        let writer = makeWriter()
        _ = try writer.write(path: "images/cats/a.json", bytes: Array("{}".utf8), mode: GitFileMode.regular)
        _ = try writer.write(path: "images/cats/b.json", bytes: Array("[]".utf8), mode: GitFileMode.regular)
        _ = try writer.write(path: "labels/set.csv", bytes: Array("id".utf8), mode: GitFileMode.regular)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outside), [], "wrote through the link")
        XCTAssertEqual(try lstatOf("images").st_mode & S_IFMT, S_IFDIR)
        XCTAssertEqual(try contents("images/cats/b.json"), "[]")
        XCTAssertEqual(try contents("labels/set.csv"), "id")
    }
}
