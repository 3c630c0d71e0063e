import Foundation
import RunbookActions
import RunbookCore
import RunbookEngine
import XCTest

/// S3 actions start no processes; any attempt is a bug the test should see.
struct S3NoProcesses: ProcessRunning {
    struct Unexpected: Error, CustomStringConvertible {
        var description: String
    }

    func run(_ command: RunbookCore.CommandLine, environment: [String: String], timeout: Double?,
             onOutput: (@Sendable (String) -> Void)?) async throws -> ProcessResult {
        throw Unexpected(description: "an S3 action tried to start \(command.argv.first ?? "a process")")
    }
}

/// Everything an action logged or audited during a call.
final class S3CallRecord: @unchecked Sendable {
    private let lock = NSLock()
    private var _lines: [String] = []
    private var _events: [(String, [String: Value])] = []

    private let onLine: (@Sendable (String) -> Void)?

    /// - Parameter onLine: also called with each log line, as it is logged.
    init(onLine: (@Sendable (String) -> Void)? = nil) {
        self.onLine = onLine
    }

    var lines: [String] { lock.withLock { _lines } }
    var events: [(String, [String: Value])] { lock.withLock { _events } }

    func log(_ line: String) {
        lock.withLock { _lines.append(line) }
        onLine?(line)
    }
    func audit(_ event: String, _ fields: [String: Value]) { lock.withLock { _events.append((event, fields)) } }
}

/// Calls S3 actions directly, as the interpreter will: a hand-built `ResolvedCall` whose
/// target reads its secret key from `RunContext.secrets`.
struct S3ActionCaller {
    static let secretName = "media_secret_key"

    var endpoint: String
    var accessKey: String
    /// The value handed over as the secret (a wrong one, to test rejection).
    var secretKey: String

    init(server: S3Server) {
        endpoint = server.endpoint
        accessKey = server.accessKey
        secretKey = server.secretKey
    }

    init(endpoint: String, accessKey: String, secretKey: String) {
        self.endpoint = endpoint
        self.accessKey = accessKey
        self.secretKey = secretKey
    }

    var target: TargetDecl {
        TargetDecl(name: "media",
                   binding: .s3(S3Target(endpoint: endpoint, region: "us-east-1", accessKey: .literal(accessKey),
                                         secretKey: .secret(S3ActionCaller.secretName))),
                   location: SourceLocation(file: "profile.yaml", line: 1, column: 1))
    }

    func call(_ name: String, _ inputs: [String: Value]) throws -> (any ExecutableAction, ResolvedCall) {
        guard let action = S3Actions.all.first(where: { $0.spec.name == name }) else {
            throw S3Server.HarnessError(description: "no action \(name) in S3Actions.all")
        }
        var withTarget = inputs
        withTarget["target"] = .string("media")
        return (action, ResolvedCall(spec: action.spec, stepID: "step", inputs: withTarget, targets: ["target": target]))
    }

    /// Runs an action; `record` receives its log lines and audit events.
    func run(_ name: String, _ inputs: [String: Value], record: S3CallRecord = S3CallRecord()) async throws -> ActionResult {
        let (action, call) = try self.call(name, inputs)
        let context = RunContext(plan: PlanContext(profile: nil, runID: "test-run", stateDir: NSTemporaryDirectory()),
                                 processes: S3NoProcesses(), secrets: [S3ActionCaller.secretName: secretKey],
                                 log: { record.log($0) }, audit: { record.audit($0, $1) })
        return try await action.run(call, in: context)
    }

    func plan(_ name: String, _ inputs: [String: Value]) throws -> [PlannedOperation] {
        let (action, call) = try self.call(name, inputs)
        return try action.plan(call, in: PlanContext(profile: nil, runID: "test-run", stateDir: NSTemporaryDirectory()))
    }
}

/// A directory tree of test data, with the SHA-256 of every file computed by `sha256sum`
/// (a tool independent of the code under test).
struct S3TestData {
    let root: String

    /// Small files with reproducible pseudo-random content under a few folders, plus names
    /// that stress SigV4 path encoding (spaces, +, &, =, ;, %, ~, *, Cyrillic) and an empty file.
    static func writeSmallFiles(count: Int, into root: String, seed: UInt64 = 42) throws {
        var rng = S3TestRandom(seed: seed)
        let special = [
            "odd names/report final (v2).pdf", "odd/a+b&c=d.txt", "odd/semi;colon,comma.txt",
            "odd/percent%20literal.txt", "odd/tilde~star*.txt", "unicode/фото-001.jpg", "odd/empty.txt",
        ]
        for i in 0..<count {
            let key = i < special.count ? special[i] : String(format: "photos/%04d/img-%05d.jpg", i % 17, i)
            let size = key.hasSuffix("empty.txt") ? 0 : Int(rng.next() % 24_000) + 1
            var bytes = [UInt8](repeating: 0, count: size)
            for j in 0..<size where j % 8 == 0 {
                var word = rng.next()
                withUnsafeBytes(of: &word) { raw in
                    for k in 0..<min(8, size - j) { bytes[j + k] = raw[k] }
                }
            }
            let path = root + "/" + key
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
                throw S3Server.HarnessError(description: "cannot write \(path)")
            }
        }
    }

    /// `head -c BYTES /dev/urandom > path`.
    static func writeRandomFile(_ path: String, bytes: Int) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        let out = S3Server.run(["sh", "-c", "head -c \(bytes) /dev/urandom > \"$0\"", path],
                               environment: S3Server.minimalEnvironment())
        guard out.status == 0 else { throw S3Server.HarnessError(description: "head -c failed: \(out.stderr)") }
    }

    /// Relative path -> SHA-256 of every regular file under `root` (symlinks and `*.partial` excluded).
    static func checksums(_ root: String) throws -> [String: String] {
        let out = S3Server.run(["sh", "-c", "cd \"$0\" && find . -type f ! -name '*.partial' -print0 | sort -z | xargs -0 -r sha256sum", root],
                               environment: S3Server.minimalEnvironment())
        guard out.status == 0 else { throw S3Server.HarnessError(description: "sha256sum failed: \(out.stderr)") }
        var sums: [String: String] = [:]
        for line in out.stdout.split(separator: "\n") {
            // "<64 hex>  ./path"
            let hash = String(line.prefix(64))
            var path = String(line.dropFirst(66))
            if path.hasPrefix("./") { path.removeFirst(2) }
            sums[path] = hash
        }
        return sums
    }

    /// Relative path -> size of every regular file under `root`.
    static func sizes(_ root: String) throws -> [String: Int64] {
        var sizes: [String: Int64] = [:]
        guard let walker = FileManager.default.enumerator(atPath: root) else { return sizes }
        for case let relative as String in walker {
            let attributes = try FileManager.default.attributesOfItem(atPath: root + "/" + relative)
            if attributes[.type] as? FileAttributeType == .typeRegular, !relative.hasSuffix(".partial") {
                sizes[relative] = (attributes[.size] as? NSNumber)?.int64Value ?? -1
            }
        }
        return sizes
    }

    static func temporaryDirectory(_ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "runbook-s3-\(name)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// A small, fast, seedable generator, so test data is the same on every run.
struct S3TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension ActionResult {
    func outputInt(_ name: String) -> Int? { outputs[name]?.intValue }
}

/// Assertions that keep failures short and stop a scenario at a failed step.
enum S3Assert {
    /// Stops a scenario at a failed step: later steps would only repeat the failure.
    static func succeeded(_ result: ActionResult, file: StaticString = #filePath, line: UInt = #line) throws {
        guard result.succeeded else {
            XCTFail("the action failed: \(result.message ?? "(no message)")", file: file, line: line)
            throw S3Server.HarnessError(description: "the action failed: \(result.message ?? "")")
        }
    }

    /// Compares two key -> value maps and reports the differences briefly, rather than
    /// printing both maps of a thousand entries.
    static func sameEntries<V: Equatable>(_ actual: [String: V], _ expected: [String: V], _ what: String,
                                          file: StaticString = #filePath, line: UInt = #line) {
        let missing = expected.keys.filter { actual[$0] == nil }.sorted()
        let extra = actual.keys.filter { expected[$0] == nil }.sorted()
        let different = expected.keys.filter { actual[$0] != nil && actual[$0] != expected[$0] }.sorted()
        guard missing.isEmpty, extra.isEmpty, different.isEmpty else {
            func some(_ keys: [String]) -> String { keys.prefix(5).joined(separator: ", ") + (keys.count > 5 ? ", ..." : "") }
            XCTFail("\(what): \(missing.count) missing [\(some(missing))], \(extra.count) extra [\(some(extra))], "
                    + "\(different.count) different [\(some(different))]", file: file, line: line)
            return
        }
    }
}
