import Foundation
@testable import RunbookActions

/// A repository for the WAL tests: a bucket on a shared real `rclone serve s3`, an identity
/// from the real `age-keygen`, and the configuration file `wal-push`/`wal-fetch` read, both
/// 0600 and owned by `owner` (the user PostgreSQL runs the commands as).
final class WALRepositoryFixture: @unchecked Sendable {
    private static let lock = NSLock()
    private static var shared: S3Server?

    let server: S3Server
    let dir: String
    let config: RepositoryConfig
    let configPath: String
    let identityPath: String
    let raw: S3Client

    static func sharedServer() throws -> S3Server {
        try lock.withLock {
            if let server = shared { return server }
            let started = try S3Server.start(.rclone)
            shared = started
            atexit { WALRepositoryFixture.shared?.stop() }
            return started
        }
    }

    init(owner: String, directory: String? = nil) async throws {
        server = try Self.sharedServer()
        dir = directory ?? NSTemporaryDirectory() + "runbook-wal-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        chmod(dir, 0o755)
        identityPath = dir + "/identity.txt"
        let recipient = try AgeCLI.keygen(identityPath)
        let bucket = "wal-\(UUID().uuidString.prefix(8).lowercased())"
        config = RepositoryConfig(endpoint: server.endpoint, accessKey: server.accessKey, secretKey: server.secretKey,
                                  bucket: bucket, prefix: "prod/", recipients: [recipient.description])
        configPath = dir + "/wal-repository.json"
        try WALCommandFiles.render(config).write(to: URL(fileURLWithPath: configPath))
        for file in [configPath, identityPath] {
            chmod(file, 0o600)
            try PostgresCluster.sh(["chown", owner, file])
        }
        raw = S3Client(connection: try config.connection())
        _ = try await raw.createBucket(bucket)
    }

    func close() async {
        await raw.shutdown()
        try? FileManager.default.removeItem(atPath: dir)
    }

    func keys() async throws -> [String] {
        try await raw.listObjects(bucket: config.bucket, prefix: config.prefix + "wal/").map(\.key).sorted()
    }

    func download(_ key: String) async throws -> Data {
        try await raw.sendForBody(S3Request(method: .GET, bucket: config.bucket, key: key, operation: "GetObject"), limit: 1 << 30)
    }

    func upload(_ key: String, _ data: Data) async throws {
        try await raw.putObject(bucket: config.bucket, key: key, data: data, contentType: "application/octet-stream")
    }

    struct Result {
        var status: Int32
        var stderr: String
    }

    /// Runs the built `runbook` with `arguments` (as root, the files' owner in these tests).
    func runbook(_ arguments: [String]) throws -> Result {
        let errors = dir + "/stderr-\(UUID().uuidString.prefix(6))"
        let child = try ChildProcess.spawn([try RunbookCLI.binary()] + arguments, environment: AgeCLI.environment,
                                           stdout: errors + ".out", stderr: errors)
        let status = try child.wait()
        defer { unlink(errors); unlink(errors + ".out") }
        return Result(status: status, stderr: (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")
    }
}
