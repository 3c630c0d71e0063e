import Foundation
import RunbookActions
import RunbookCore
import XCTest

/// One server and one data set per test class, started on first use and stopped in the
/// class's tearDown (which XCTest runs after the last test, failed or not).
final class S3SuiteFixture: @unchecked Sendable {
    private let kind: S3Server.Kind
    private let lock = NSLock()
    private var server: S3Server?
    private var suiteData: S3SuiteData?

    init(kind: S3Server.Kind) { self.kind = kind }

    func scenarios(_ test: XCTestCase) throws -> S3Scenarios {
        let server = try lock.withLock { () throws -> S3Server in
            if let server = self.server { return server }
            let started = try S3Server.start(kind)
            self.server = started
            return started
        }
        let scenarios = try S3Scenarios(server: server)
        test.addTeardownBlock { scenarios.cleanUp() }
        return scenarios
    }

    func data() throws -> S3SuiteData {
        try lock.withLock {
            if let data = suiteData { return data }
            let created = try S3SuiteData.create()
            suiteData = created
            return created
        }
    }

    func stop() {
        lock.withLock {
            server?.stop()
            server = nil
            suiteData?.remove()
            suiteData = nil
        }
    }
}

/// The S3 suite against SeaweedFS (`weed mini`).
final class SeaweedFSTests: XCTestCase {
    private static let fixture = S3SuiteFixture(kind: .seaweedfs)
    override class func tearDown() {
        fixture.stop()
        super.tearDown()
    }

    func testRoundTripThroughTheAwsCLI() async throws {
        try await Self.fixture.scenarios(self).roundTrip(data: try Self.fixture.data())
    }
    func testWrongCredentialsAreRejected() async throws { try await Self.fixture.scenarios(self).wrongCredentialsAreRejected() }
    func testMissingBucketIsNamed() async throws { try await Self.fixture.scenarios(self).missingBucketIsNamed() }
    func testDiskFullLeavesNothingBehind() async throws { try await Self.fixture.scenarios(self).diskFullLeavesNothingBehind() }
    func testInterruptedMirrorResumes() async throws { try await Self.fixture.scenarios(self).interruptedMirrorResumes() }
    func testVerifyManifestFindsChanges() async throws { try await Self.fixture.scenarios(self).verifyManifestFindsChanges() }
    func testChecks() async throws { try await Self.fixture.scenarios(self).checks() }
    func testPrefixesAndTheEmptySourceGuard() async throws { try await Self.fixture.scenarios(self).prefixesAndTheEmptySourceGuard() }
    func testAnObjectReplacedSinceTheListingIsNotSpliced() async throws {
        try await Self.fixture.scenarios(self).objectReplacedSinceTheListingIsNotSpliced()
    }
}

/// The same suite against `rclone serve s3`, a second, independent S3 implementation whose
/// multipart ETags carry no `-N` suffix.
final class RcloneS3Tests: XCTestCase {
    private static let fixture = S3SuiteFixture(kind: .rclone)
    override class func tearDown() {
        fixture.stop()
        super.tearDown()
    }

    func testRoundTripThroughTheAwsCLI() async throws {
        try await Self.fixture.scenarios(self).roundTrip(data: try Self.fixture.data())
    }
    func testWrongCredentialsAreRejected() async throws { try await Self.fixture.scenarios(self).wrongCredentialsAreRejected() }
    func testMissingBucketIsNamed() async throws { try await Self.fixture.scenarios(self).missingBucketIsNamed() }
    func testDiskFullLeavesNothingBehind() async throws { try await Self.fixture.scenarios(self).diskFullLeavesNothingBehind() }
    func testInterruptedMirrorResumes() async throws { try await Self.fixture.scenarios(self).interruptedMirrorResumes() }
    func testVerifyManifestFindsChanges() async throws { try await Self.fixture.scenarios(self).verifyManifestFindsChanges() }
    func testChecks() async throws { try await Self.fixture.scenarios(self).checks() }
    func testPrefixesAndTheEmptySourceGuard() async throws { try await Self.fixture.scenarios(self).prefixesAndTheEmptySourceGuard() }
    func testAnObjectReplacedSinceTheListingIsNotSpliced() async throws {
        try await Self.fixture.scenarios(self).objectReplacedSinceTheListingIsNotSpliced()
    }
}

/// An endpoint where nothing listens: the error names it, and no file appears.
final class S3UnreachableEndpointTests: XCTestCase {
    func testConnectionRefusedNamesTheEndpoint() async throws {
        let port = try S3Server.freePorts(count: 1, alsoFreeAt: nil)[0]
        let endpoint = "http://127.0.0.1:\(port)"
        let caller = S3ActionCaller(endpoint: endpoint, accessKey: "runbook-test", secretKey: "not-used-anywhere")
        let dir = try S3TestData.temporaryDirectory("unreachable")
        defer { try? FileManager.default.removeItem(atPath: dir) }

        let mirror = try await caller.run("s3.mirror", ["from": .string("s3://media"), "to": .string(dir + "/backup")])
        XCTAssertFalse(mirror.succeeded)
        XCTAssertEqual(mirror.message, "cannot reach S3 endpoint \(endpoint): connection refused")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/backup"))

        let reachable = try await caller.run("s3.reachable", [:])
        XCTAssertFalse(reachable.succeeded)
        XCTAssertEqual(reachable.message, "cannot reach S3 endpoint \(endpoint): connection refused")
    }
}
