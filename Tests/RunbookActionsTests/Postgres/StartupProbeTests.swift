import Foundation
@testable import RunbookActions
import RunbookCore
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `StartupProbe` reads a server's first answer as libpq's `PQping` does. A real PostgreSQL
/// answers it in PostgresOperationsTests; here a socket plays the answers a server gives while
/// starting up, refusing a role, or asking for a password, which a test cannot time on a real one.
final class StartupProbeTests: XCTestCase {
    /// A unix socket that answers one startup message with `reply`, then records what it read.
    private final class OneAnswerServer: @unchecked Sendable {
        let directory: String
        let port: UInt16 = 5432
        private let listener: Int32
        private let done = DispatchSemaphore(value: 0)
        private(set) var received: [UInt8] = []

        init(reply: [UInt8]) throws {
            directory = NSTemporaryDirectory() + "probe-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            let path = Array("\(directory)/.s.PGSQL.\(port)".utf8)
            withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: path + [0]) }
            let bound = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            XCTAssertEqual(bound, 0)
            XCTAssertEqual(listen(listener, 1), 0)
            Thread.detachNewThread { [self] in
                let client = accept(listener, nil, nil)
                var buffer = [UInt8](repeating: 0, count: 4096)
                let n = recv(client, &buffer, buffer.count, 0)
                received = Array(buffer[0..<max(0, n)])
                _ = reply.withUnsafeBytes { send(client, $0.baseAddress, $0.count, 0) }
                // The probe's Terminate, if it sends one, arrives before it closes.
                var tail = [UInt8](repeating: 0, count: 64)
                let more = recv(client, &tail, tail.count, 0)
                if more > 0 { received += tail[0..<more] }
                close(client)
                done.signal()
            }
        }

        func finish() {
            done.wait()
            close(listener)
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    private func errorResponse(_ code: String, _ message: String) -> [UInt8] {
        var body: [UInt8] = Array("SFATAL".utf8) + [0] + Array("C\(code)".utf8) + [0] + Array("M\(message)".utf8) + [0, 0]
        let length = UInt32(body.count + 4)
        body = [UInt8(ascii: "E"), UInt8(length >> 24), UInt8((length >> 16) & 0xff), UInt8((length >> 8) & 0xff), UInt8(length & 0xff)] + body
        return body
    }

    private func probe(answering reply: [UInt8]) throws -> (StartupProbe.Answer, [UInt8]) {
        let server = try OneAnswerServer(reply: reply)
        let probe = StartupProbe(address: .unixSocket(path: "\(server.directory)/.s.PGSQL.\(server.port)"), user: "aqstream", database: "postgres")
        let answer = probe.attempt(timeout: 0.5)
        server.finish()
        return (answer, server.received)
    }

    func testAStartingServerIsNotAcceptingAndItsMessageIsKept() throws {
        let (answer, _) = try probe(answering: errorResponse("57P03", "the database system is starting up"))
        XCTAssertEqual(answer, .unknown("the database system is starting up"))
    }

    func testARefusedRoleOrAPasswordRequestMeansTheServerAccepts() throws {
        XCTAssertEqual(try probe(answering: errorResponse("28000", "no pg_hba.conf entry")).0, .accepting)
        // AuthenticationSASL: the probe never answers it, and sends nothing more.
        let sasl: [UInt8] = [UInt8(ascii: "R"), 0, 0, 0, 23, 0, 0, 0, 10] + Array("SCRAM-SHA-256".utf8) + [0, 0]
        let (answer, received) = try probe(answering: sasl)
        XCTAssertEqual(answer, .accepting)
        XCTAssertEqual(received, StartupProbe.startupMessage(user: "aqstream", database: "postgres"))
    }

    func testAnOpenSessionIsEndedWithTerminate() throws {
        let ok: [UInt8] = [UInt8(ascii: "R"), 0, 0, 0, 8, 0, 0, 0, 0]
        let (answer, received) = try probe(answering: ok)
        XCTAssertEqual(answer, .accepting)
        XCTAssertEqual(Array(received.suffix(5)), [UInt8(ascii: "X"), 0, 0, 0, 4])
    }

    func testSilenceOrNoServerIsNotAnAnswer() throws {
        if case .accepting = try probe(answering: []).0 { XCTFail("a server that closed without answering is not accepting") }
        let nowhere = StartupProbe(address: .unixSocket(path: NSTemporaryDirectory() + "no-such-dir/.s.PGSQL.1"), user: "u", database: "d")
        if case .accepting = nowhere.attempt(timeout: 1) { XCTFail("no socket is not accepting") }
    }

    func testTheStartupMessageIsProtocolThree() {
        let message = StartupProbe.startupMessage(user: "u", database: "d")
        XCTAssertEqual(Array(message[0..<8]), [0, 0, 0, UInt8(message.count), 0, 3, 0, 0])
        XCTAssertEqual(message.last, 0)
        XCTAssertTrue(String(decoding: message, as: UTF8.self).contains("user\0u\0database\0d\0"))
    }

    func testOnlyServersTheTargetNamesOnThisHostAreProbed() {
        XCTAssertEqual(StartupProbe.address(host: "/run/postgresql", port: 5433), .unixSocket(path: "/run/postgresql/.s.PGSQL.5433"))
        XCTAssertEqual(StartupProbe.address(host: "127.0.0.1", port: 5432), .loopback(host: "127.0.0.1", port: 5432, ipv6: false))
        XCTAssertEqual(StartupProbe.address(host: "::1", port: 5432), .loopback(host: "::1", port: 5432, ipv6: true))
        for host in ["10.0.0.5", "db.example.com", "localhost", "/a,/b", "::2"] {
            XCTAssertNil(StartupProbe.address(host: host, port: 5432), host)
        }
        let db = PostgresCalls.localTarget
        let local = PostgresEndpoint(target: db, transport: .local)
        XCTAssertEqual(StartupProbe(local, database: "postgres")?.place, "/run/pg/.s.PGSQL.5433")
        var noPort = db
        noPort.port = nil
        XCTAssertNil(StartupProbe(PostgresEndpoint(target: noPort, transport: .local), database: "postgres"),
                     "a port left to PGPORT is pg_isready's to find")
        XCTAssertNil(StartupProbe(PostgresEndpoint(target: db, transport: .composeExec(project: ComposeTarget(projectDir: "/opt"), service: "pg")), database: "postgres"))
    }

    func testThePlanSaysWhichSocketIsAskedBeforePgIsready() throws {
        let ops = try WaitReady().plan(PostgresCalls.call(WaitReady(), PostgresCalls.localTarget, ["target": "db"]),
                                       in: PostgresCalls.context(PostgresCalls.localTarget))
        guard case .builtin(let text) = ops.first else { return XCTFail("\(ops)") }
        XCTAssertTrue(text.contains("/run/pg/.s.PGSQL.5433"), text)
        let compose = try WaitReady().plan(PostgresCalls.call(WaitReady(), PostgresCalls.composeTarget, ["target": "db"]),
                                           in: PostgresCalls.context(PostgresCalls.composeTarget))
        XCTAssertEqual(compose.count, 2, "over compose only pg_isready can ask")
    }
}
