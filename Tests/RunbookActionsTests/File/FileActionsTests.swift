import Foundation
import RunbookActions
import RunbookCore
import RunbookEngine
import XCTest

final class FileActionsTests: XCTestCase {
    var dir: String!

    override func setUp() {
        dir = NSTemporaryDirectory() + "rb-file-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    let context = RunContext(plan: PlanContext(profile: nil, runID: "r", stateDir: "/tmp"), processes: ProcessRunner(), secrets: [:])

    func run(_ action: any ExecutableAction, _ inputs: [String: Value]) async throws -> ActionResult {
        var all = inputs
        for spec in action.spec.inputs where all[spec.name] == nil { if let d = spec.defaultValue { all[spec.name] = d } }
        return try await action.run(ResolvedCall(spec: action.spec, stepID: "s", inputs: all), in: context)
    }

    func testExistsChecksPathAndType() async throws {
        _ = FileManager.default.createFile(atPath: dir + "/f", contents: Data("x".utf8))
        let exists = try await run(FileExists(), ["path": .string(dir + "/f")])
        XCTAssertTrue(exists.succeeded)
        let missing = try await run(FileExists(), ["path": .string(dir + "/nope")])
        XCTAssertFalse(missing.succeeded)
        let wrongType = try await run(FileExists(), ["path": .string(dir), "type": .string("file")])
        XCTAssertFalse(wrongType.succeeded)
        XCTAssertEqual(FileExists().spec.role, .check)
    }

    func testMinSizeCatchesATinyArtifact() async throws {
        // The seed's failed dump still produced a ~20-byte gzip file.
        _ = FileManager.default.createFile(atPath: dir + "/dump.gz", contents: Data(repeating: 1, count: 20))
        let small = try await run(FileMinSize(), ["path": .string(dir + "/dump.gz"), "bytes": .int(1024)])
        XCTAssertFalse(small.succeeded)
        XCTAssertEqual(small.message, "\(dir!)/dump.gz is 20 bytes; at least 1024 expected")
        let ok = try await run(FileMinSize(), ["path": .string(dir + "/dump.gz"), "bytes": .int(20)])
        XCTAssertTrue(ok.succeeded)
    }

    func testMkdirCreatesParentsWithTheExactMode() async throws {
        let path = dir + "/a/b/pgdata"
        let r = try await run(FileMkdir(), ["path": .string(path), "mode": .string("0700")])
        XCTAssertTrue(r.succeeded, r.message ?? "")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o700)
        let again = try await run(FileMkdir(), ["path": .string(path), "mode": .string("0700")])
        XCTAssertTrue(again.succeeded, "an existing directory is fine")
    }

    func testRemoveIsDestructiveAndRefusesDirectoriesWithoutRecursive() async throws {
        XCTAssertTrue(FileRemove().spec.destructive)
        try FileManager.default.createDirectory(atPath: dir + "/tree/sub", withIntermediateDirectories: true)
        let refused = try await run(FileRemove(), ["path": .string(dir + "/tree")])
        XCTAssertFalse(refused.succeeded)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/tree/sub"))
        let removed = try await run(FileRemove(), ["path": .string(dir + "/tree"), "recursive": .bool(true)])
        XCTAssertTrue(removed.succeeded)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/tree"))
        let missing = try await run(FileRemove(), ["path": .string(dir + "/tree")])
        XCTAssertFalse(missing.succeeded)
        let missingOK = try await run(FileRemove(), ["path": .string(dir + "/tree"), "missing_ok": .bool(true)])
        XCTAssertTrue(missingOK.succeeded)
        let root = try await run(FileRemove(), ["path": .string("/"), "recursive": .bool(true)])
        XCTAssertFalse(root.succeeded)
    }

    func testSHA256MatchesAKnownDigest() async throws {
        _ = FileManager.default.createFile(atPath: dir + "/abc", contents: Data("abc".utf8))
        let r = try await run(FileSHA256(), ["path": .string(dir + "/abc")])
        XCTAssertEqual(r.outputs["sha256"], .string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
        XCTAssertEqual(r.outputs["bytes"], .int(3))
        let mismatch = try await run(FileSHA256(), ["path": .string(dir + "/abc"), "expect": .string("00")])
        XCTAssertFalse(mismatch.succeeded)
    }
}
