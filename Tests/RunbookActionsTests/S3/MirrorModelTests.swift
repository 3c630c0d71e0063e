import Foundation
@testable import RunbookActions
import RunbookCore
import XCTest

/// Locations, key safety, manifests and their comparison: the mirror's pure parts.
final class MirrorModelTests: XCTestCase {
    func testLocations() throws {
        XCTAssertEqual(try MirrorLocation.parse("s3://media", input: "from"), .bucket(name: "media", prefix: ""))
        XCTAssertEqual(try MirrorLocation.parse("s3://media/", input: "from"), .bucket(name: "media", prefix: ""))
        XCTAssertEqual(try MirrorLocation.parse("s3://media/photos", input: "from"), .bucket(name: "media", prefix: "photos/"))
        XCTAssertEqual(try MirrorLocation.parse("s3://media/photos/2024/", input: "from"), .bucket(name: "media", prefix: "photos/2024/"))
        XCTAssertEqual(try MirrorLocation.parse("./backup-media", input: "to"), .directory("./backup-media"))
        XCTAssertEqual(MirrorLocation.bucket(name: "media", prefix: "photos/").description, "s3://media/photos/")
    }

    func testBadLocationsNameTheInput() {
        let cases: [(String, String)] = [
            ("s3://Media", "input \"from\": \"Media\" is not a valid bucket name (3-63 lowercase letters, digits, dots or hyphens)"),
            ("s3://", "input \"from\": \"\" is not a valid bucket name (3-63 lowercase letters, digits, dots or hyphens)"),
            ("s3://media//x", "input \"from\": prefix \"/x\" has an empty path segment (a leading / or //)"),
            ("http://host/media", "input \"from\": \"http://host/media\" must be s3://bucket[/prefix] or a local directory"),
            ("", "input \"from\": must not be empty"),
        ]
        for (text, message) in cases {
            XCTAssertThrowsError(try MirrorLocation.parse(text, input: "from")) { error in
                XCTAssertEqual("\(error)", message)
            }
        }
    }

    func testUnsafeKeysAreNamed() {
        XCTAssertNil(MirrorPaths.problem(withRelativeKey: "photos/2024/a b+c.jpg"))
        XCTAssertEqual(MirrorPaths.problem(withRelativeKey: "../etc/passwd"), "a . or .. segment, which would escape the directory")
        XCTAssertEqual(MirrorPaths.problem(withRelativeKey: "a/./b"), "a . or .. segment, which would escape the directory")
        XCTAssertEqual(MirrorPaths.problem(withRelativeKey: "/abs"), "an absolute path")
        XCTAssertEqual(MirrorPaths.problem(withRelativeKey: "a//b"), "an empty path segment (//)")
        XCTAssertEqual(MirrorPaths.problem(withRelativeKey: "video.mp4.partial"),
                       "the .partial suffix, which the mirror uses for files being written")
        XCTAssertEqual(MirrorPaths.problem(withRelativeKey: String(repeating: "x", count: 256)), "a path segment longer than 255 bytes")
    }

    func testFileFolderConflicts() {
        XCTAssertEqual(MirrorPaths.fileFolderConflicts(["a", "a/b", "c/d", "c/e", "x/y/z", "x"]), ["a", "x"])
        XCTAssertEqual(MirrorPaths.fileFolderConflicts(["ab", "a/b"]), [])
    }

    func testManifestRoundTripAndTamperDetection() throws {
        let path = NSTemporaryDirectory() + "manifest-\(UUID().uuidString)/m.json"
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let manifest = Manifest(source: "s3://media/", objects: [
            ManifestEntry(key: "b.jpg", size: 3, etag: "e2", sha256: "s2"),
            ManifestEntry(key: "a/фото.jpg", size: 5, etag: "e1", sha256: "s1"),
        ])
        try manifest.write(to: path)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".partial"))
        let loaded = try Manifest.load(path: path)
        XCTAssertEqual(loaded, manifest)
        XCTAssertEqual(loaded.objects.map(\.key), ["a/фото.jpg", "b.jpg"], "sorted by key")
        XCTAssertEqual(loaded.totalBytes, 8)

        // Drop an object but keep the header: the file contradicts itself.
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"count\" : 2", with: "\"count\" : 3")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Manifest.load(path: path)) { error in
            XCTAssertEqual("\(error)", "manifest \(path) is inconsistent: its count or total_bytes does not match its objects (edited or truncated?)")
        }
        try "{\"format\": \"other\"}".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Manifest.load(path: path)) { error in
            XCTAssertEqual("\(error)", "manifest \(path) is not a runbook S3 manifest (invalid JSON or missing fields)")
        }
        XCTAssertThrowsError(try Manifest.load(path: path + ".missing")) { error in
            XCTAssertEqual("\(error)", "manifest \(path).missing does not exist")
        }
    }

    func testManifestComparison() {
        let manifest = Manifest(source: "s3://media/", objects: [
            ManifestEntry(key: "same", size: 1, etag: "", sha256: "x"),
            ManifestEntry(key: "gone", size: 1, etag: "", sha256: "x"),
            ManifestEntry(key: "resized", size: 10, etag: "", sha256: "x"),
        ])
        var comparison = ManifestComparison(manifest: manifest, found: ["same": 1, "resized": 9, "new": 4])
        XCTAssertEqual(comparison.missing, ["gone"])
        XCTAssertEqual(comparison.extra, ["new"])
        XCTAssertEqual(comparison.sizeMismatches, [.init(key: "resized", expected: 10, found: 9)])
        XCTAssertEqual(comparison.toHash.map(\.key), ["same"], "only same-size entries are worth hashing")
        comparison.checksumMismatches = ["same"]
        XCTAssertEqual(comparison.problemCount, 4)
        XCTAssertEqual(comparison.summary, "1 missing (gone); 1 not in the manifest (new); "
                       + "1 of different size (resized: manifest 10 bytes, found 9); 1 with a different sha256 (same)")
    }
}
