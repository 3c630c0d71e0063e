import Crypto
import Foundation
import RunbookActions
import XCTest

/// Our age implementation against the real `age` 1.1.1 CLI (apt package `age`): each side
/// decrypts what the other encrypted, at sizes around the 64 KiB chunk boundary and of several
/// MB, with several recipients; and each side refuses the other's truncated or altered files
/// and files for someone else. Identities reach `age` only as files (-i), never on argv.
final class AgeCLIInteropTests: XCTestCase {
    static let sizes = [0, 1, 65_536, 65_537, 5 * 1_048_576 + 3]
    var dir = ""

    override func setUpWithError() throws {
        for tool in ["/usr/bin/age", "/usr/bin/age-keygen"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw AgeCLI.Failure(description: "\(tool) is missing: install the apt package age (scripts/setup.sh)")
        }
        dir = NSTemporaryDirectory() + "runbook-age-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func path(_ name: String) -> String { dir + "/" + name }

    func testWeDecryptWhatAgeEncrypts() throws {
        let key = try AgeCLI.keygen(path("key.txt"))
        let identities = try AgeIdentityFile.load(path: path("key.txt"))
        for size in Self.sizes {
            let plain = try AgeCLI.writeRandom(path("plain-\(size)"), size: size)
            try AgeCLI.run(["age", "-r", key.description, "-o", path("sealed-\(size).age"), path("plain-\(size)")], in: dir)
            try AgeFileStreams.decryptFile(at: path("sealed-\(size).age"), to: path("opened-\(size)"), identities: identities)
            XCTAssertEqual(try AgeCLI.sha256(path("opened-\(size)")), plain, "size \(size)")
        }
    }

    func testAgeDecryptsWhatWeEncrypt() throws {
        let key = try AgeCLI.keygen(path("key.txt"))
        for size in Self.sizes {
            let plain = try AgeCLI.writeRandom(path("plain-\(size)"), size: size)
            try AgeCLI.encrypt(path("plain-\(size)"), to: path("sealed-\(size).age"), recipients: [key])
            // To stdout: with -o, age creates no file at all for an empty plaintext.
            try AgeCLI.run(["age", "-d", "-i", path("key.txt"), path("sealed-\(size).age")], in: dir, stdout: path("opened-\(size)"))
            XCTAssertEqual(try AgeCLI.sha256(path("opened-\(size)")), plain, "size \(size)")
        }
    }

    func testSeveralRecipientsEachDecryptOnEitherSide() throws {
        let keygenKey = try AgeCLI.keygen(path("a.txt"))
        // An identity file we write must be one `age -i` accepts.
        let ours = AgeIdentity.generate()
        _ = FileManager.default.createFile(atPath: path("b.txt"), contents: Data(AgeIdentityFile.render(ours).utf8),
                                       attributes: [.posixPermissions: 0o600])
        let plain = try AgeCLI.writeRandom(path("plain"), size: 300_000)
        try AgeCLI.encrypt(path("plain"), to: path("ours.age"), recipients: [keygenKey, ours.recipient])
        try AgeCLI.run(["age", "-e", "-r", keygenKey.description, "-r", ours.recipient.description, "-o", path("theirs.age"),
                        path("plain")], in: dir)
        for (index, keyFile) in ["a.txt", "b.txt"].enumerated() {
            try AgeCLI.run(["age", "-d", "-i", path(keyFile), "-o", path("by-age-\(index)"), path("ours.age")], in: dir)
            XCTAssertEqual(try AgeCLI.sha256(path("by-age-\(index)")), plain, keyFile)
            try AgeFileStreams.decryptFile(at: path("theirs.age"), to: path("by-us-\(index)"),
                                           identities: try AgeIdentityFile.load(path: path(keyFile)))
            XCTAssertEqual(try AgeCLI.sha256(path("by-us-\(index)")), plain, keyFile)
        }
    }

    func testAWrongIdentityIsRefusedOnEitherSide() throws {
        let key = try AgeCLI.keygen(path("right.txt"))
        _ = try AgeCLI.keygen(path("wrong.txt"))
        _ = try AgeCLI.writeRandom(path("plain"), size: 1000)
        try AgeCLI.run(["age", "-r", key.description, "-o", path("theirs.age"), path("plain")], in: dir)
        XCTAssertThrowsError(try AgeFileStreams.decryptFile(at: path("theirs.age"), to: path("out"),
                                                            identities: try AgeIdentityFile.load(path: path("wrong.txt")))) { error in
            XCTAssertEqual(error as? AgeError, .noMatchingIdentity(stanzas: 1))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out.partial")))

        try AgeCLI.encrypt(path("plain"), to: path("ours.age"), recipients: [key])
        let refused = try AgeCLI.status(["age", "-d", "-i", path("wrong.txt"), "-o", path("out2"), path("ours.age")], in: dir)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("no identity matched any of the recipients"), refused.stderr)
    }

    func testTruncatedAndAlteredFilesAreRefusedOnEitherSide() throws {
        let key = try AgeCLI.keygen(path("key.txt"))
        let identities = try AgeIdentityFile.load(path: path("key.txt"))
        _ = try AgeCLI.writeRandom(path("plain"), size: 3 * 65_536 + 10)
        try AgeCLI.run(["age", "-r", key.description, "-o", path("theirs.age"), path("plain")], in: dir)
        try AgeCLI.encrypt(path("plain"), to: path("ours.age"), recipients: [key])
        for name in ["theirs.age", "ours.age"] {
            let sealed = try Data(contentsOf: URL(fileURLWithPath: path(name)))
            let payloadStart = sealed.count - (3 * 65_536 + 10) - 4 * 16
            // Cut exactly after the second full chunk: only the missing last-chunk flag shows it.
            let damaged: [(String, Data, AgeError)] = [
                ("cut", sealed.prefix(payloadStart + 2 * 65_552),
                 .truncated("the input ends after chunk 1, which is not the final chunk")),
                ("flipped", { var d = sealed; d[payloadStart + 65_552 + 7] ^= 0x40; return d }(),
                 .payloadAuthenticationFailed(chunk: 1)),
                // The stanza's ephemeral share (after "age-encryption.org/v1\n-> X25519 "): the key no longer unwraps.
                ("share", { var d = sealed; d[35] = d[35] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A"); return d }(),
                 .noMatchingIdentity(stanzas: 1)),
                // The MAC: the key unwraps, the header no longer authenticates.
                ("mac", { var d = sealed; let at = d.range(of: Data("\n--- ".utf8))!.upperBound + 5
                          d[at] = d[at] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A"); return d }(),
                 .headerMACMismatch),
            ]
            for (label, bytes, expected) in damaged {
                let file = path("\(label)-\(name)")
                try bytes.write(to: URL(fileURLWithPath: file))
                XCTAssertThrowsError(try AgeFileStreams.decryptFile(at: file, to: path("out"), identities: identities),
                                     "\(label) \(name)") { error in
                    XCTAssertEqual(error as? AgeError, expected, "\(label) \(name)")
                }
                XCTAssertFalse(FileManager.default.fileExists(atPath: path("out")), "\(label) \(name): a plaintext was left")
                XCTAssertFalse(FileManager.default.fileExists(atPath: path("out.partial")), "\(label) \(name)")
                let theirs = try AgeCLI.status(["age", "-d", "-i", path("key.txt"), "-o", path("age-out"), file], in: dir)
                XCTAssertNotEqual(theirs.status, 0, "age accepted the \(label) copy of \(name)")
            }
        }
    }
}

/// Running the real `age` and `age-keygen`, and file helpers, for the interop tests.
enum AgeCLI {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static var environment: [String: String] { ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()] }

    /// Runs `argv` and returns its exit status and stderr; stdout goes to the file `stdout`, or with stderr.
    static func status(_ argv: [String], in dir: String, stdout: String? = nil) throws -> (status: Int32, stderr: String) {
        let errors = dir + "/stderr-\(UUID().uuidString.prefix(6))"
        let child = try ChildProcess.spawn(argv, environment: environment, stdout: stdout ?? errors, stderr: errors)
        let status = try child.wait()
        let text = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: errors)
        return (status, text)
    }

    static func run(_ argv: [String], in dir: String, stdout: String? = nil) throws {
        let result = try status(argv, in: dir, stdout: stdout)
        guard result.status == 0 else { throw Failure(description: "\(argv[0]) \(argv[1]) exited \(result.status): \(result.stderr)") }
    }

    /// `age-keygen -o path`; returns the public key it printed (checked against the file's identity).
    static func keygen(_ path: String) throws -> AgeRecipient {
        try run(["age-keygen", "-o", path], in: (path as NSString).deletingLastPathComponent)
        let identities = try AgeIdentityFile.load(path: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("# public key: ") }) else {
            throw Failure(description: "age-keygen wrote no public key comment")
        }
        let printed = try AgeRecipient(String(line.dropFirst("# public key: ".count)))
        guard identities.count == 1, identities[0].recipient == printed else {
            throw Failure(description: "the identity age-keygen wrote does not derive its printed public key")
        }
        return printed
    }

    static func encrypt(_ source: String, to destination: String, recipients: [AgeRecipient]) throws {
        guard let input = FileHandle(forReadingAtPath: source) else { throw Failure(description: "cannot open \(source)") }
        _ = FileManager.default.createFile(atPath: destination, contents: nil)
        guard let output = FileHandle(forWritingAtPath: destination) else { throw Failure(description: "cannot open \(destination)") }
        defer { try? input.close(); try? output.close() }
        try AgeFileStreams.encrypt(from: input, to: output, recipients: recipients)
    }

    /// Writes `size` random bytes; returns their hex SHA-256.
    static func writeRandom(_ path: String, size: Int) throws -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        bytes.reserveCapacity(size + 8)
        while bytes.count < size {
            let word = generator.next()
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        let data = Data(bytes.prefix(size))
        try data.write(to: URL(fileURLWithPath: path))
        return hex(SHA256.hash(data: data))
    }

    static func sha256(_ path: String) throws -> String {
        hex(SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
