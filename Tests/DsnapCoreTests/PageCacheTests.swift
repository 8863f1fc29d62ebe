@testable import DsnapCore
import Foundation
import XCTest

/// How dsnap uses the page cache: a snapshot lets go of its objects' pages once a sync has
/// written them (`WrittenPages`), and a checkout that finds objects cold reads ahead
/// (`ObjectPrefetch`). Real files on the test machine's file system.
final class PageCacheTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "dsnap-pages-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder + "/.git/objects", withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func randomBytes(_ count: Int, seed: UInt64) -> Data {
        var state = seed
        return Data((0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        })
    }

    /// Whether the first page of the file at `path` is in the page cache.
    private func isCached(_ path: String) throws -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw StorageError.fromErrno(errno, path: path) }
        defer { close(descriptor) }
        return LooseObjectReader.isCached(descriptor)
    }

    /// Whether `path` is on a file system whose page cache is its storage (tmpfs, ramfs): there no
    /// page can be let go, and the tests of eviction have nothing to test.
    private func isInMemoryFileSystem(_ path: String) throws -> Bool {
        // `stat -f`: Glibc's Swift module does not export statfs(2).
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/stat")
        process.arguments = ["-f", "-c", "%T", path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let type = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return ["tmpfs", "ramfs"].contains(type.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Writes the files at `paths` to disk and lets go of their pages. A page another process
    /// holds for a moment (a busy machine) is not let go at once, so it is asked again until none
    /// is cached, for up to 10 s; a page still cached then is a failure. On tmpfs, where the page
    /// cache is the storage, the test is skipped: that is the file system, not the timing.
    private func evict(_ paths: [String]) throws {
        if let first = paths.first, try isInMemoryFileSystem(first) {
            throw XCTSkip("\(first.parentPath) is on tmpfs or ramfs: its pages cannot be let go")
        }
        for path in paths {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            XCTAssertGreaterThanOrEqual(descriptor, 0, path)
            XCTAssertEqual(fsync(descriptor), 0, path)
            close(descriptor)
        }
        var cached = paths
        let deadline = Date().addingTimeInterval(10)
        while true {
            WrittenPages.release(cached)
            cached = try cached.filter { try isCached($0) }
            if cached.isEmpty || Date() >= deadline { break }
            usleep(100_000)
        }
        XCTAssertEqual(cached, [], "the pages of \(cached.count) of \(paths.count) synced files stayed cached for 10 s")
    }

    // MARK: WrittenPages

    func testAWrittenObjectIsNotedAndItsPagesGoAfterItsSync() throws {
        let pages = WrittenPages()
        let writer = LooseObjectWriter(gitDir: folder + "/.git", writtenPages: pages)
        let content = randomBytes(200 << 10, seed: 3)
        try content.write(to: URL(fileURLWithPath: folder + "/clip.jpg"))
        let written = try XCTUnwrap(try writer.write(fileAt: folder + "/clip.jpg", relativePath: "clip.jpg",
                                                     workspace: Workspace()))
        let objectPath = written.id.looseObjectPath(in: folder + "/.git/objects").file

        let noted = pages.takeAll()
        XCTAssertEqual(noted, [objectPath])
        XCTAssertEqual(pages.takeAll(), [], "taken once")
        XCTAssertTrue(try isCached(objectPath), "just written")
        try evict(noted)
        // The object is intact: its pages came back from the disk.
        var read = Data()
        XCTAssertEqual(try LooseObjectReader.read(path: objectPath, id: written.id) { read.append(contentsOf: $0) },
                       Int64(content.count))
        XCTAssertEqual(read, content)
    }

    func testAnObjectThatExistsAlreadyIsNotNotedAgain() throws {
        let pages = WrittenPages()
        let writer = LooseObjectWriter(gitDir: folder + "/.git", writtenPages: pages)
        try randomBytes(100 << 10, seed: 4).write(to: URL(fileURLWithPath: folder + "/a.jpg"))
        try FileManager.default.copyItem(atPath: folder + "/a.jpg", toPath: folder + "/b.jpg")
        _ = try writer.write(fileAt: folder + "/a.jpg", relativePath: "a.jpg", workspace: Workspace())
        _ = try writer.write(fileAt: folder + "/b.jpg", relativePath: "b.jpg", workspace: Workspace())
        XCTAssertEqual(pages.takeAll().count, 1)
    }

    func testPastItsLimitFilesAreNoLongerNoted() {
        let pages = WrittenPages()
        for number in 0...WrittenPages.limit { pages.add("/nowhere/\(number)") }
        let noted = pages.takeAll()
        XCTAssertEqual(noted.count, WrittenPages.limit)
        XCTAssertEqual(noted.last, "/nowhere/\(WrittenPages.limit - 1)")
        // Releasing paths that do not exist is nothing.
        WrittenPages.release(["/nowhere/0"])
    }

    // MARK: ObjectPrefetch

    func testNothingIsAskedForWhileObjectsAreCached() {
        let prefetch = ObjectPrefetch(count: 100)
        for position in 0..<100 {
            XCTAssertTrue(prefetch.positionsToAsk(after: position, wasCold: false).isEmpty)
        }
    }

    func testAColdObjectOpensAWindowThatMovesWithTheWorkersAndClosesOnCachedOnes() {
        let distance = ObjectPrefetch.distance
        let prefetch = ObjectPrefetch(count: 1000)
        XCTAssertEqual(prefetch.positionsToAsk(after: 10, wasCold: true), 11..<(12 + distance - 1))
        // The other worker, on a file inside the window: one more, at the far end.
        XCTAssertEqual(prefetch.positionsToAsk(after: 11, wasCold: false), (11 + distance)..<(12 + distance))
        // Late results of earlier positions ask for nothing new.
        XCTAssertTrue(prefetch.positionsToAsk(after: 3, wasCold: true).isEmpty)
        // Past the window on cached objects: closed.
        XCTAssertTrue(prefetch.positionsToAsk(after: 12 + distance, wasCold: false).isEmpty)
        XCTAssertTrue(prefetch.positionsToAsk(after: 13 + distance, wasCold: false).isEmpty)
        // Cold again: a new window from there.
        XCTAssertEqual(prefetch.positionsToAsk(after: 500, wasCold: true), 501..<(501 + distance))
    }

    func testTheWindowEndsAtTheLastFile() {
        let prefetch = ObjectPrefetch(count: 10)
        XCTAssertEqual(prefetch.positionsToAsk(after: 5, wasCold: true), 6..<10)
        XCTAssertTrue(prefetch.positionsToAsk(after: 6, wasCold: false).isEmpty)
        XCTAssertTrue(prefetch.positionsToAsk(after: 9, wasCold: true).isEmpty)
    }

    // MARK: A checkout from cold objects

    func testACloneFromObjectsNotInTheCacheWritesTheSameFiles() throws {
        let scratch = try ScratchDataset()
        var media: [String: Data] = [:]
        for number in 0..<120 {
            let path = "clips/c\(number % 4)/clip\(number).jpg"
            media[path] = randomBytes(70 << 10 + number, seed: UInt64(number))
            try FileManager.default.createDirectory(atPath: scratch.path + "/" + path.parentPath,
                                                    withIntermediateDirectories: true)
            try media[path]!.write(to: URL(fileURLWithPath: scratch.path + "/" + path))
        }
        let context = testContext()
        let (dataset, created) = try CreateDataset.run(at: scratch.path, name: "Cold", author: nil,
                                                       writer: FastSnapshotWriter(), context: context)
        let objects = try FileManager.default.subpathsOfDirectory(atPath: dataset.gitDir + "/objects")
            .filter { $0.count == 41 && $0.dropFirst(2).first == "/" }
            .map { dataset.gitDir + "/objects/" + $0 }
        XCTAssertGreaterThanOrEqual(objects.count, 120, "the media are loose objects")
        try evict(objects)

        let parent = (scratch.path as NSString).deletingLastPathComponent
        let result = try CloneDataset.run(created.snapshot.id.hex, from: dataset, to: parent + "/cold-clone",
                                          name: nil, checkout: AtomicCheckout(), context: context)
        for (path, content) in media {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: result.path + "/" + path)), content, path)
        }
        XCTAssertEqual(try ReadStatus.changes(in: try Dataset.open(root: result.path)), [])
    }
}
