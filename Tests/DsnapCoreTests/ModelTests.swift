@testable import DsnapCore
import XCTest

final class ModelTests: XCTestCase {
    func testTimestampFormatsMicrosecondsInUTC() {
        let stamp = Timestamp(microseconds: 1_774_786_893_090_247)
        XCTAssertEqual(stamp.iso8601, "2026-03-29T12:21:33.090247Z")
        XCTAssertEqual(Timestamp(iso8601: stamp.iso8601), stamp)
        XCTAssertEqual(Timestamp(iso8601: "2026-03-29T12:21:33.090247"), stamp, "the API's form, without Z")
        XCTAssertEqual(Timestamp(iso8601: "2026-03-29T12:21:33Z")?.microseconds, 1_774_786_893_000_000)
        XCTAssertNil(Timestamp(iso8601: "yesterday"))
        XCTAssertNil(Timestamp(iso8601: "2026-03-29T12:21:33.Z"))
    }

    func testFileClassIsByExtensionCaseInsensitive() {
        XCTAssertEqual(FileClass(path: "a/IMG_0001.JPG"), .image)
        XCTAssertEqual(FileClass(path: "b.png"), .image)
        XCTAssertEqual(FileClass(path: "clip.MP4"), .video)
        XCTAssertEqual(FileClass(path: "b.png.json"), .json)
        XCTAssertEqual(FileClass(path: "labels.csv"), .other)
        XCTAssertEqual(FileClass(path: ".jpg"), .other, "a dot file has no extension")
        XCTAssertEqual(FileClass(path: "dir.jpg/readme"), .other)
        XCTAssertEqual(FileClass(path: "a/.jpg"), .other, "a dot file in a folder has no extension either")
        XCTAssertEqual(FileClass(path: "a/b.JPEG"), .image)
        XCTAssertEqual(FileClass(path: "a/b.jpegs"), .other)
        XCTAssertEqual(FileClass(path: "a/b.tiffff"), .other, "longer than any known extension")
        XCTAssertEqual(FileClass(path: "trailing."), .other)
        XCTAssertEqual(FileClass(path: "x.Json"), .json)
        XCTAssertEqual(FileClass(path: "x.ts"), .video)
        XCTAssertEqual(FileClass(path: "café/crème.jpg"), .image)
        XCTAssertEqual(FileClass(path: "x.jpé"), .other)
        for ext in FileClass.imageExtensions { XCTAssertEqual(FileClass(path: "f." + ext.uppercased()), .image, ext) }
        for ext in FileClass.videoExtensions { XCTAssertEqual(FileClass(path: "d/f." + ext), .video, ext) }
        XCTAssertEqual(MediaCounts(paths: ["a.jpg", "b.JPEG", "c.mov", "d.json", "e"]), {
            var counts = MediaCounts(paths: [])
            counts.images = 2
            counts.videos = 1
            return counts
        }())
    }

    func testAuthorParsing() {
        XCTAssertEqual(Identity(author: "Rachel Doe <rachel@example.com>"),
                       Identity(name: "Rachel Doe", email: "rachel@example.com"))
        XCTAssertEqual(Identity(author: "rachel@example.com"), Identity(name: "rachel@example.com", email: "rachel@example.com"))
        XCTAssertNil(Identity(author: ""))
        XCTAssertNil(Identity(author: "Bad <>"))
        XCTAssertNil(Identity(author: "two\nlines"))
    }

    func testRecordRoundTripsThroughItsNoteJSON() throws {
        let record = SnapshotRecord(name: "n \"q\" \n -x", description: "Ünïcödé 猫", reason: .clone, nImages: 3,
                                    nVideos: 1, trainingModelID: "id", trainingModelName: nil,
                                    createdAt: Timestamp(microseconds: 5), createdBy: "a@b",
                                    clonedFromDataset: "Source", clonedFromSnapshot: String(repeating: "a", count: 40))
        let parsed = try JSONParser.parse(JSONWriter.render(record.json, pretty: true))
        XCTAssertEqual(SnapshotRecord(json: parsed), record)
    }
}
