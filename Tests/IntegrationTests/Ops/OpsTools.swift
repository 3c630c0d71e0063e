import Foundation
import XCTest

/// The tools the operations tests drive (promtool, node-exporter, a recording webhook server),
/// found on PATH. A missing one fails the test with its name and how setup installs it.
enum OpsTools {
    struct Missing: Error, CustomStringConvertible { var description: String }

    static func require(_ tool: String, package: String) throws -> String {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path else { throw Missing(description: "\(tool) is not installed: apt-get install -y \(package) (scripts/setup.sh does)") }
        return path
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs to the end with stdin from `stdin` (a file) or /dev/null.
    static func run(_ argv: [String], stdin: String = "/dev/null", environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Output {
        let base = NSTemporaryDirectory() + "runbook-ops-" + UUID().uuidString
        defer { unlink(base + ".out"); unlink(base + ".err") }
        let status = try ChildProcess.spawn(argv, environment: environment, stdout: base + ".out", stderr: base + ".err", stdin: stdin).wait()
        return Output(status: status, stdout: (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? "")
    }

    /// GET with curl; nil until something answers.
    static func get(_ url: String) throws -> String? {
        let out = try run(["curl", "-sS", "--max-time", "5", "-f", url])
        return out.status == 0 ? out.stdout : nil
    }

    /// Polls `probe` every 100 ms until it returns a value or `seconds` pass.
    static func waitFor<T>(_ seconds: Double, _ what: String, _ probe: () throws -> T?) throws -> T {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let v = try probe() { return v }
            usleep(100_000)
        }
        throw Missing(description: "\(what) not ready after \(seconds)s")
    }
}

/// A local HTTP server that records every POST (path, content type, body) as a JSON line, and
/// answers 200, 500, or only after 3 s (`slow`), as told. Python's http.server: a real server,
/// not a stub inside the process under test.
final class RecordingWebhookServer {
    enum Mode: String { case ok, failing = "500", slow }

    let port: Int
    let log: String
    private let child: ChildProcess
    private let script: String

    static let source = """
        import http.server, json, sys, time
        port, log, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
                with open(log, 'a') as f:
                    f.write(json.dumps({'path': self.path, 'content_type': self.headers.get('Content-Type'), 'body': body.decode()}) + '\\n')
                if mode == 'slow':
                    time.sleep(3)
                try:
                    self.send_response(500 if mode == '500' else 200)
                    self.end_headers()
                    self.wfile.write(b'{}')
                except Exception:
                    pass
            def do_GET(self):
                self.send_response(204)
                self.end_headers()
            def log_message(self, *args):
                pass
        http.server.ThreadingHTTPServer(('127.0.0.1', port), Handler).serve_forever()
        """

    init(mode: Mode) throws {
        let python = try OpsTools.require("python3", package: "python3")
        port = try PostgresCluster.freePort()
        let base = NSTemporaryDirectory() + "runbook-webhook-" + UUID().uuidString
        log = base + ".jsonl"
        script = base + ".py"
        try RecordingWebhookServer.source.write(toFile: script, atomically: true, encoding: .utf8)
        child = try ChildProcess.spawn([python, script, String(port), log, mode.rawValue], environment: ProcessInfo.processInfo.environment)
        let url = "http://127.0.0.1:\(port)/ready"
        _ = try OpsTools.waitFor(10, "webhook server on \(port)") { try OpsTools.run(["curl", "-s", "-o", "/dev/null", url]).status == 0 ? true : nil }
    }

    struct Request: Decodable {
        var path: String
        var content_type: String?
        var body: String

        func json() throws -> [String: Any] {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        }
    }

    var requests: [Request] {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
    }

    func stop() {
        child.terminate()
        unlink(script)
        unlink(log)
    }
}

/// `prometheus-node-exporter` with only its textfile collector, on a free loopback port.
final class NodeExporter {
    let port: Int
    private let child: ChildProcess

    init(textfileDirectory: String) throws {
        let binary = try OpsTools.require("prometheus-node-exporter", package: "prometheus-node-exporter")
        port = try PostgresCluster.freePort()
        child = try ChildProcess.spawn([binary, "--web.listen-address=127.0.0.1:\(port)", "--collector.disable-defaults",
                                        "--collector.textfile", "--collector.textfile.directory=\(textfileDirectory)"],
                                       environment: ProcessInfo.processInfo.environment)
        _ = try OpsTools.waitFor(15, "node-exporter on \(port)") { try OpsTools.get("http://127.0.0.1:\(port)/metrics") }
    }

    func scrape() throws -> String {
        try XCTUnwrap(try OpsTools.get("http://127.0.0.1:\(port)/metrics"), "node-exporter did not answer")
    }

    func stop() { child.terminate() }
}
