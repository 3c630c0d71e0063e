import Foundation
@testable import RunbookActions
import RunbookCore
import RunbookEngine
import XCTest

/// Declarations, plans (which never touch the network) and error wording of the `s3.*` actions.
final class S3ActionSpecTests: XCTestCase {
    let target = TargetDecl(
        name: "media",
        binding: .s3(S3Target(endpoint: "http://127.0.0.1:9000", accessKey: .literal("minio"), secretKey: .secret("minio_secret"))),
        location: SourceLocation(file: "profile.yaml", line: 3, column: 3))
    let context = PlanContext(profile: nil, runID: "r1", stateDir: "/tmp")

    func plan(_ name: String, _ inputs: [String: Value]) throws -> String {
        guard let action = S3Actions.all.first(where: { $0.spec.name == name }) else { throw ActionInputError.missing(name) }
        var withTarget = inputs
        withTarget["target"] = .string("media")
        let call = ResolvedCall(spec: action.spec, stepID: "s", inputs: withTarget, targets: ["target": target])
        let operations = try action.plan(call, in: context)
        guard operations.count == 1, case .builtin(let text) = operations[0] else {
            XCTFail("expected one builtin operation, got \(operations)")
            return ""
        }
        return text
    }

    func testEveryActionIsRegisteredOnceWithDocumentedInputs() {
        let names = S3Actions.all.map(\.spec.name)
        XCTAssertEqual(names, ["s3.mirror", "s3.verify-manifest", "s3.bucket-exists", "s3.object-count", "s3.reachable",
                               "s3.empty-bucket", "s3.create-bucket"])
        for action in S3Actions.all {
            XCTAssertEqual(action.spec.family, "s3")
            XCTAssertFalse(action.spec.summary.isEmpty)
            for input in action.spec.inputs { XCTAssertFalse(input.summary.isEmpty, "\(action.spec.name).\(input.name)") }
        }
        XCTAssertEqual(S3Actions.all.filter { $0.spec.role == .check }.map(\.spec.name),
                       ["s3.verify-manifest", "s3.bucket-exists", "s3.object-count", "s3.reachable"])
        XCTAssertEqual(S3Actions.all.filter(\.spec.destructive).map(\.spec.name), ["s3.empty-bucket"])
        XCTAssertEqual(Registry.all.filter { $0.spec.family == "s3" }.count, 7, "the registry includes the family")
    }

    func testMirrorPlans() throws {
        XCTAssertEqual(try plan("s3.mirror", ["from": .string("s3://media/photos"), "to": .string("/backup/media"),
                                              "manifest": .string("/backup/media.json")]),
                       "mirror s3://media/photos/ -> /backup/media at http://127.0.0.1:9000 (ListObjectsV2, GetObject streamed to "
                       + "<file>.partial, fsync, rename; copy changed by size+ETag/sha256, parallel 8, remove extra: no); "
                       + "write manifest /backup/media.json")
        XCTAssertEqual(try plan("s3.mirror", ["from": .string("/backup/media"), "to": .string("s3://media"),
                                              "remove": .bool(true), "parallel": .int(4)]),
                       "mirror /backup/media -> s3://media/ at http://127.0.0.1:9000 (ListObjectsV2, PutObject streamed; "
                       + "multipart >= 64 MiB in 16 MiB parts; copy changed by size+ETag/sha256, parallel 4, remove extra: yes)")
    }

    func testBadMirrorInputsAreRejectedInPlan() {
        let cases: [([String: Value], String)] = [
            (["from": .string("/a"), "to": .string("/b")], "input \"to\": one side must be s3://bucket[/prefix]; both are local directories"),
            (["from": .string("s3://one"), "to": .string("s3://two")],
             "input \"to\": mirroring between two buckets is not supported; one side must be a local directory"),
            (["from": .string("s3://media"), "to": .string("/b"), "parallel": .int(0)], "input \"parallel\": must be between 1 and 64, got 0"),
            (["from": .string("s3://media")], "input \"to\" is required"),
        ]
        for (inputs, message) in cases {
            XCTAssertThrowsError(try plan("s3.mirror", inputs)) { error in XCTAssertEqual("\(error)", message) }
        }
    }

    func testCheckPlans() throws {
        XCTAssertEqual(try plan("s3.bucket-exists", ["bucket": .string("media")]),
                       "check bucket media exists at http://127.0.0.1:9000 (ListObjectsV2, max-keys 1)")
        XCTAssertEqual(try plan("s3.object-count", ["bucket": .string("media"), "prefix": .string("photos"), "min_objects": .int(10)]),
                       "check s3://media/photos/ at http://127.0.0.1:9000 holds at least 10 objects and 0 bytes (ListObjectsV2)")
        XCTAssertEqual(try plan("s3.reachable", [:]),
                       "check S3 endpoint http://127.0.0.1:9000 answers and accepts the credentials (ListBuckets)")
        XCTAssertEqual(try plan("s3.verify-manifest", ["manifest": .string("/b/m.json"), "location": .string("s3://media")]),
                       "verify s3://media/ at http://127.0.0.1:9000 against manifest /b/m.json: keys, sizes and sha256 "
                       + "(every object streamed through SHA-256, parallel 8)")
        XCTAssertEqual(try plan("s3.empty-bucket", ["bucket": .string("media")]),
                       "delete every object under s3://media/ at http://127.0.0.1:9000 (ListObjectsV2, DeleteObjects in batches "
                       + "of 1000, then list again to confirm it is empty)")
        XCTAssertEqual(try plan("s3.create-bucket", ["bucket": .string("media")]),
                       "create bucket media at http://127.0.0.1:9000 unless it exists (CreateBucket)")
    }

    func testAnEndpointThatIsNotAURLIsAnInputError() {
        XCTAssertThrowsError(try S3Endpoint("localhost:9000")) { error in
            XCTAssertEqual("\(error)", "input \"target\": S3 endpoint \"localhost:9000\" must be an http:// or https:// URL with a host")
        }
        XCTAssertEqual(try S3Endpoint("http://127.0.0.1:9000/").hostHeader, "127.0.0.1:9000")
        XCTAssertEqual(try S3Endpoint("https://s3.example.com:443").hostHeader, "s3.example.com")
        XCTAssertEqual(try S3Endpoint("http://proxy/s3/").path(bucket: "b", key: "k/x"), "/s3/b/k/x")
    }

    func testAMissingSecretIsNamedNotGuessed() {
        let s3 = S3Target(endpoint: "http://127.0.0.1:9000", accessKey: .literal("minio"), secretKey: .secret("minio_secret"))
        XCTAssertThrowsError(try S3Connection(target: s3, secrets: [:])) { error in
            XCTAssertEqual("\(error)", "input \"target\": secret \"minio_secret\" (the S3 target's secret_key) is not available")
        }
        XCTAssertNoThrow(try S3Connection(target: s3, secrets: ["minio_secret": "value"]))
    }

    func testServerErrorsAreNamedForTheOperator() {
        func classify(_ status: Int, _ code: String?, bucket: String? = "media", key: String? = nil) -> String {
            let request = S3Request(method: .GET, bucket: bucket, key: key, operation: "GetObject s3://media/k")
            return "\(S3Client.classify(endpoint: "http://127.0.0.1:9000", status: status, code: code, message: "m", request: request))"
        }
        XCTAssertEqual(classify(403, "SignatureDoesNotMatch"), "S3 rejected the credentials for endpoint http://127.0.0.1:9000: SignatureDoesNotMatch")
        XCTAssertEqual(classify(403, "InvalidAccessKeyId"), "S3 rejected the credentials for endpoint http://127.0.0.1:9000: InvalidAccessKeyId")
        XCTAssertEqual(classify(404, "NoSuchBucket"), "bucket \"media\" does not exist at S3 endpoint http://127.0.0.1:9000 (NoSuchBucket)")
        XCTAssertEqual(classify(404, nil, key: "k"), "object s3://media/k does not exist at S3 endpoint http://127.0.0.1:9000 (NoSuchKey)")
        XCTAssertEqual(classify(403, "AccessDenied"), "S3 endpoint http://127.0.0.1:9000 denied GetObject s3://media/k for these credentials (AccessDenied)")
        XCTAssertEqual(classify(500, "InternalError"), "S3 endpoint http://127.0.0.1:9000 failed GetObject s3://media/k: HTTP 500 InternalError: m")
        XCTAssertTrue(S3Error.service(endpoint: "", operation: "", status: 503, code: "SlowDown", message: nil).isTransient)
        XCTAssertFalse(S3Error.service(endpoint: "", operation: "", status: 400, code: "InvalidArgument", message: nil).isTransient)
    }
}
