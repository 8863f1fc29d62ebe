@testable import DsnapCore
import Foundation
import XCTest

/// What the snapshot writer makes of each kind of path it is handed: it opens the path without
/// a `stat` first, so links, fifos and folders must still come out right (and never hang).
final class LooseObjectWriterTests: XCTestCase {
    private var folder = ""
    private var writer: LooseObjectWriter!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "dsnap-writer-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder + "/.git/objects", withIntermediateDirectories: true)
        writer = LooseObjectWriter(gitDir: folder + "/.git")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func write(_ name: String) throws -> LooseObjectWriter.Written? {
        try writer.write(fileAt: folder + "/" + name, relativePath: name, workspace: Workspace())
    }

    func testARegularFileIsStoredWithItsStat() throws {
        try Data("{\"a\": 1}\n".utf8).write(to: URL(fileURLWithPath: folder + "/a.json"))
        let written = try XCTUnwrap(try write("a.json"))
        XCTAssertEqual(written.mode, GitFileMode.regular)
        XCTAssertEqual(written.bytes, 9)
        // git's id for the same content.
        XCTAssertEqual(written.id.hex, "cb5b2f69babc53f9145b45ad20b9a075d48717ef")
        var info = stat()
        XCTAssertEqual(lstat(folder + "/a.json", &info), 0)
        XCTAssertEqual(written.info.st_ino, info.st_ino)
        XCTAssertTrue(FileManager.default.fileExists(atPath: written.id.looseObjectPath(in: folder + "/.git/objects").file))
    }

    func testALinkIsStoredAsItsTargetNotFollowed() throws {
        try Data("content".utf8).write(to: URL(fileURLWithPath: folder + "/target.jpg"))
        try FileManager.default.createSymbolicLink(atPath: folder + "/cover.jpg", withDestinationPath: "target.jpg")
        let written = try XCTUnwrap(try write("cover.jpg"))
        XCTAssertEqual(written.mode, GitFileMode.symlink)
        XCTAssertEqual(written.bytes, Int64("target.jpg".utf8.count))
        XCTAssertEqual(written.info.st_mode & S_IFMT, S_IFLNK)
    }

    func testAFifoOrAFolderIsNotContentAndDoesNotHang() throws {
        XCTAssertEqual(mkfifo(folder + "/pipe.json", 0o644), 0)
        XCTAssertNil(try write("pipe.json"))
        try FileManager.default.createDirectory(atPath: folder + "/now-a-folder", withIntermediateDirectories: true)
        XCTAssertNil(try write("now-a-folder"))
    }

    func testAFileGoneSinceTheScanIsNothing() throws {
        XCTAssertNil(try write("vanished.jpg"))
    }
}
