import CObjectCodec
@testable import DsnapCore
import XCTest

/// dsnap's SHA-1 (SHA-NI when the CPU has it) against mbedtls's and the standard's vectors: every
/// object id depends on it.
final class SHA1Tests: XCTestCase {
    private func dsnapDigest(_ bytes: [UInt8], pieces: Int = 1) -> [UInt8] {
        var context = dsnap_sha1_context()
        dsnap_sha1_init(&context)
        let step = max(1, bytes.count / pieces)
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + step)
            bytes[start..<end].withUnsafeBytes { dsnap_sha1_update(&context, $0.baseAddress!, $0.count) }
            start = end
        }
        var digest = [UInt8](repeating: 0, count: 20)
        dsnap_sha1_finish(&context, &digest)
        return digest
    }

    private func mbedtlsDigest(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 20)
        _ = mbedtls_sha1_ret(bytes, bytes.count, &digest)
        return digest
    }

    private func hex(_ bytes: [UInt8]) -> String { GitOID(rawBytes: bytes).hex }

    func testStandardVectors() {
        XCTAssertEqual(hex(dsnapDigest([])), "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        XCTAssertEqual(hex(dsnapDigest(Array("abc".utf8))), "a9993e364706816aba3e25717850c26c9cd0d89d")
        XCTAssertEqual(hex(dsnapDigest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))),
                       "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        XCTAssertEqual(hex(dsnapDigest([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000), pieces: 7)),
                       "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    func testEveryLengthAroundTheBlockEdgesAndAnyChunkingMatchesMbedtls() {
        var generator = SystemRandomNumberGenerator()
        for length in Array(0...200) + [1023, 1024, 1025, 65_535, 65_536, 100_000, 1 << 20] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let expected = mbedtlsDigest(bytes)
            XCTAssertEqual(dsnapDigest(bytes), expected, "length \(length)")
            XCTAssertEqual(dsnapDigest(bytes, pieces: 3), expected, "length \(length) in 3 pieces")
            if length <= 200 { XCTAssertEqual(dsnapDigest(bytes, pieces: max(1, length)), expected, "byte by byte") }
        }
    }

    func testAnObjectIdIsGitsBlobId() {
        var hasher = ObjectHasher(size: 12)
        Array("hello world\n".utf8).withUnsafeBytes { hasher.update($0) }
        // `echo 'hello world' | git hash-object --stdin`
        XCTAssertEqual(hasher.finish().hex, "3b18e512dba79e4c8300dd08aeb37f8e728b8dad")
    }
}
