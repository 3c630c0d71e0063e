import Foundation
import RunbookCore
@testable import RunbookEngine
import XCTest

final class SecretResolverTests: XCTestCase {
    var dir: String!
    override func setUp() { dir = makeTemporaryDirectory("secrets") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    let here = SourceLocation(file: "rb.yaml", line: 3, column: 5)

    func testFromEnvironment() throws {
        let decl = SecretDecl(name: "pw", env: "PW_VAR", location: here)
        XCTAssertEqual(try SecretResolver.resolve([decl], environment: ["PW_VAR": "v1"]).get(), ["pw": "v1"])
    }

    func testFromPrivateFileWithTrailingNewlineStripped() throws {
        let path = dir + "/pw"
        _ = FileManager.default.createFile(atPath: path, contents: Data("s3cret\n".utf8), attributes: [.posixPermissions: 0o600])
        let decl = SecretDecl(name: "pw", file: path, location: here)
        XCTAssertEqual(try SecretResolver.resolve([decl], environment: [:]).get(), ["pw": "s3cret"])
    }

    func testGroupReadableFileIsRefused() throws {
        let path = dir + "/pw"
        _ = FileManager.default.createFile(atPath: path, contents: Data("s3cret".utf8), attributes: [.posixPermissions: 0o640])
        let decl = SecretDecl(name: "pw", file: path, location: here)
        guard case .failure(let f) = SecretResolver.resolve([decl], environment: [:]) else { return XCTFail("accepted a 0640 file") }
        XCTAssertTrue(f.items[0].description.contains("mode 640"), f.items[0].description)
        XCTAssertEqual(f.items[0].diagnostic.location, here)
    }

    func testEveryMissingSecretIsReported() {
        let decls = [SecretDecl(name: "a", env: "NOPE_A", location: here), SecretDecl(name: "b", env: "NOPE_B", location: here)]
        guard case .failure(let f) = SecretResolver.resolve(decls, environment: [:]) else { return XCTFail("resolved") }
        XCTAssertEqual(f.items.map(\.name), ["a", "b"])
    }
}
