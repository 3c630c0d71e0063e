import Foundation
import XCTest

/// The shipped `media-backup --param offsite=true` and `media-restore --param source=repository`
/// through the built binary, with SeaweedFS as production's media server and `rclone serve s3`
/// (other credentials) as the repository, keys from the real `age-keygen`: no name reaches the
/// repository in the clear, the index opens with `age -d`, a second push uploads only what
/// changed, and a bare host restores the bucket by sha256, refusing a tampered object before
/// anything is written to the bucket.
final class MediaRepositoryTests: XCTestCase {
    var media: S3Server!
    var repository: S3Server!
    var dir = ""
    var profile = ""
    var identityText = ""
    let repoBucket = "repo"
    let bucket = "aqstream-media"
    /// Telling user-upload names, in nested prefixes: none may appear in the repository.
    let tellingKeys = [
        "contracts/ivanov-ivan/passport-scan-ivanov.pdf",
        "hr/salaries/salary-report-2026-ceo.xlsx",
        "users/anna.petrova/avatars/anna-petrova-portrait.png",
        "events/wedding-smirnov/guest-list-smirnov.csv",
        "medical/diagnosis-sidorova.txt",
    ]

    override func setUpWithError() throws {
        dir = try S3TestData.temporaryDirectory("media-repo")
        media = try S3Server.start(.seaweedfs)
        repository = try S3Server.start(.rclone)
        XCTAssertNotEqual(media.accessKey, repository.accessKey)
        _ = try media.aws(["s3", "mb", "s3://\(bucket)"])
        _ = try repository.aws(["s3", "mb", "s3://\(repoBucket)"])
        let recipient = try AgeCLI.keygen(dir + "/key.txt")
        identityText = try String(contentsOfFile: dir + "/key.txt", encoding: .utf8)
        profile = dir + "/profile.yaml"
        try """
        profile: media-repo-test
        secrets:
          media_access_key: {env: TEST_MEDIA_ACCESS_KEY}
          media_secret_key: {env: TEST_MEDIA_SECRET_KEY}
          repo_access_key: {env: TEST_REPO_ACCESS_KEY}
          repo_secret_key: {env: TEST_REPO_SECRET_KEY}
        targets:
          media:
            s3: {endpoint: "\(media.endpoint)", access_key: "${secrets.media_access_key}", secret_key: "${secrets.media_secret_key}"}
          offsite:
            repository:
              endpoint: "\(repository.endpoint)"
              bucket: \(repoBucket)
              prefix: prod/
              access_key: "${secrets.repo_access_key}"
              secret_key: "${secrets.repo_secret_key}"
              recipients: ["\(recipient)"]
        """.write(toFile: profile, atomically: true, encoding: .utf8)
    }

    override func tearDown() {
        media?.stop()
        repository?.stop()
        try? FileManager.default.removeItem(atPath: dir)
    }

    // MARK: - Running the shipped runbooks

    func run(_ name: String, _ params: [String: String], identity: String? = nil) throws -> (status: Int32, output: String) {
        var argv = [try RunbookCLI.binary(), "run", name, "--profile", profile, "--state-dir", dir + "/state",
                    "--runbooks-dir", RunbookCLI.repository + "/runbooks", "--yes"]
        for (k, v) in params.sorted(by: { $0.key < $1.key }) { argv += ["--param", "\(k)=\(v)"] }
        var env = ProcessInfo.processInfo.environment
        env["TEST_MEDIA_ACCESS_KEY"] = media.accessKey
        env["TEST_MEDIA_SECRET_KEY"] = media.secretKey
        env["TEST_REPO_ACCESS_KEY"] = repository.accessKey
        env["TEST_REPO_SECRET_KEY"] = repository.secretKey
        env["RUNBOOK_REPO_IDENTITY"] = identity ?? identityText
        env["NO_COLOR"] = "1"
        let log = dir + "/run-\(UUID().uuidString.prefix(6)).log"
        let status = try ChildProcess.spawn(argv, environment: env, stdout: log, stderr: log).wait()
        return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    func backup() throws -> String {
        let result = try run("media-backup", ["offsite": "true", "bucket": bucket, "backup_dir": dir + "/backups"])
        XCTAssertEqual(result.status, 0, result.output)
        return result.output
    }

    func restore(identity: String? = nil) throws -> (status: Int32, output: String) {
        try run("media-restore", ["source": "repository", "bucket": bucket, "backup_dir": dir + "/bare"], identity: identity)
    }

    // MARK: - Looking at the repository as an attacker with the bucket would

    /// Every key under the repository's bucket, listed by the aws CLI.
    func repositoryKeys() throws -> [String: Int64] { try repository.awsListing(bucket: repoBucket) }

    func download(_ key: String, to path: String) throws {
        _ = try repository.aws(["s3", "cp", "s3://\(repoBucket)/\(key)", path, "--only-show-errors"])
    }

    /// The media namespace's plaintext manifest, as JSON.
    func mediaManifest() throws -> (text: String, objects: [String: [String: Any]]) {
        try download("prod/manifests/media.json", to: dir + "/media.json")
        let text = try String(contentsOfFile: dir + "/media.json", encoding: .utf8)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        return (text, try XCTUnwrap(json["objects"] as? [String: [String: Any]]))
    }

    /// Name fragments a user would recognise: every path segment of every telling key, and each file's stem.
    var fragments: [String] {
        Set(tellingKeys.flatMap { key -> [String] in
            let segments = key.split(separator: "/").map(String.init)
            return segments + segments.map { ($0 as NSString).deletingPathExtension }
        }).filter { $0.count >= 5 }.sorted()
    }

    func writeBucketData() throws -> String {
        let source = dir + "/source"
        var rng = S3TestRandom(seed: 7)
        for (i, key) in tellingKeys.enumerated() { try S3TestData.writeFile(source + "/" + key, bytes: 3_000 + i * 1_111, rng: &rng) }
        try media.awsUpload(directory: source, to: "s3://\(bucket)/")
        return source
    }

    func testMediaMirrorsIntoTheRepositoryWithNamesHiddenIncrementallyAndRestoresOnABareHost() throws {
        let source = try writeBucketData()
        let firstOutput = try backup()
        XCTAssertTrue(firstOutput.contains("5 objects, 5 contents to upload, 0 already there"), firstOutput)

        // No key, and nothing in the plaintext manifest, names any object.
        let keys = try repositoryKeys()
        let manifest = try mediaManifest()
        for fragment in fragments {
            XCTAssertFalse(keys.keys.contains { $0.contains(fragment) }, "\(fragment) in a repository key: \(keys.keys.sorted())")
            XCTAssertFalse(manifest.text.contains(fragment), "\(fragment) in the plaintext manifest")
        }
        XCTAssertEqual(manifest.objects.count, 6, "5 contents and 1 index: \(manifest.objects.keys.sorted())")
        // The index opens with the standard age CLI and the identity, and names every object.
        let indexName = try XCTUnwrap(manifest.objects.keys.filter { $0.hasPrefix("media/index-") }.max())
        let indexKey = try XCTUnwrap(manifest.objects[indexName]?["key"] as? String)
        try download(indexKey, to: dir + "/index.age")
        try AgeCLI.run(["age", "-d", "-i", dir + "/key.txt", "-o", dir + "/index.json", dir + "/index.age"], in: dir)
        let index = try String(contentsOfFile: dir + "/index.json", encoding: .utf8)
        for key in tellingKeys { XCTAssertTrue(index.contains(key), "\(key) missing from the decrypted index") }

        // Change one, add one, delete one: the second push uploads two contents and the index.
        var rng = S3TestRandom(seed: 99)
        try S3TestData.writeFile(source + "/" + tellingKeys[0], bytes: 4_321, rng: &rng)
        let added = "users/anna.petrova/avatars/anna-petrova-new-haircut.png"
        try S3TestData.writeFile(source + "/" + added, bytes: 2_345, rng: &rng)
        _ = try media.aws(["s3", "cp", source + "/" + tellingKeys[0], "s3://\(bucket)/\(tellingKeys[0])", "--only-show-errors"])
        _ = try media.aws(["s3", "cp", source + "/" + added, "s3://\(bucket)/\(added)", "--only-show-errors"])
        _ = try media.aws(["s3", "rm", "s3://\(bucket)/\(tellingKeys[4])", "--only-show-errors"])
        try FileManager.default.removeItem(atPath: source + "/" + tellingKeys[4])
        let before = Set(try repositoryKeys().keys)
        let secondOutput = try backup()
        XCTAssertTrue(secondOutput.contains("5 objects, 2 contents to upload, 3 already there"), secondOutput)
        let after = Set(try repositoryKeys().keys)
        let uploaded = after.subtracting(before).filter { $0.hasPrefix("prod/objects/") }
        XCTAssertEqual(uploaded.count, 3, "the changed and the added content, and the new index: \(uploaded.sorted())")
        // Removed after the new index: the old index, the deleted object's and the changed object's old content.
        let gone = before.subtracting(after)
        XCTAssertEqual(gone.count, 3, "\(gone.sorted())")
        XCTAssertTrue(gone.contains(indexKey))
        let removals = ((try? String(contentsOfFile: dir + "/state/audit.jsonl", encoding: .utf8)) ?? "")
            .split(separator: "\n").filter { $0.contains("repository.media.removed") }
        XCTAssertEqual(removals.count, 3, removals.joined(separator: "\n"))
        XCTAssertEqual(try mediaManifest().objects.count, 6, "5 contents and the new index")

        // The host is lost: no media bucket, no backup directory. The repository alone restores it.
        _ = try media.aws(["s3", "rb", "s3://\(bucket)", "--force"])
        let restored = try restore()
        XCTAssertEqual(restored.status, 0, restored.output)
        let back = dir + "/restored"
        _ = try media.aws(["s3", "cp", "s3://\(bucket)/", back, "--recursive", "--only-show-errors"])
        let expected = try S3TestData.checksums(source)
        XCTAssertEqual(expected.count, 5)
        XCTAssertEqual(try S3TestData.checksums(back), expected)
    }

    func testATamperedObjectOrAWrongIdentityIsRefusedBeforeTheBucketIsWritten() throws {
        _ = try writeBucketData()
        _ = try backup()
        _ = try media.aws(["s3", "rb", "s3://\(bucket)", "--force"])

        // A wrong identity: refused on the index's header, nothing fetched.
        _ = try AgeCLI.keygen(dir + "/other.txt")
        let wrong = try restore(identity: try String(contentsOfFile: dir + "/other.txt", encoding: .utf8))
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertTrue(wrong.output.contains("no identity matches"), wrong.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/bare/media/manifest.json"))

        // One content replaced by another valid age file to the same recipient (anyone can make one).
        let manifest = try mediaManifest()
        let victim = try XCTUnwrap(manifest.objects.first { !$0.key.hasPrefix("media/index-") }?.value["key"] as? String)
        try "forged content".write(toFile: dir + "/forged.txt", atomically: true, encoding: .utf8)
        let recipient = try XCTUnwrap(identityText.split(separator: "\n").first { $0.hasPrefix("# public key: ") }).dropFirst("# public key: ".count)
        try AgeCLI.run(["age", "-r", String(recipient), "-o", dir + "/forged.age", dir + "/forged.txt"], in: dir)
        _ = try repository.aws(["s3", "cp", dir + "/forged.age", "s3://\(repoBucket)/\(victim)", "--only-show-errors"])

        let refused = try restore()
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.output.contains("does not match the manifest"), refused.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/bare/media/manifest.json"), "a manifest written for an unverified fetch")
        let buckets = try media.aws(["s3api", "list-buckets", "--output", "text"])
        XCTAssertFalse(buckets.contains(bucket), "the bucket was created after a refused fetch: \(buckets)")
    }
}
