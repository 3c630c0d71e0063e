import Foundation
import XCTest

/// `compose.ps` on a compose project whose target names an ssh host: the real Docker Engine
/// and Compose v2 of the test stack, reached only through a real sshd on loopback (whose
/// sessions get the engine's `DOCKER_HOST`, as the remote host's own configuration would).
final class ComposeOverSSHTests: XCTestCase {
    private static let shared = SharedComposeStack()

    override class func tearDown() {
        shared.release()
        super.tearDown()
    }

    func testComposePsRunsOnTheSSHHostAndReportsTheServices() throws {
        let stack = try Self.shared.acquire()
        try stack.compose(["up", "-d", "postgres-shared"])
        let server = try SSHServer(environment: ["DOCKER_HOST": stack.engine.host])
        defer { server.stop() }
        let directory = stack.engine.root + "/ssh-" + UUID().uuidString.prefix(8)
        let cli = try SSHRunbookCLI(directory: directory, password: "unused-\(UUID().uuidString)", profile: """
            profile: compose-over-ssh
            targets:
              apphost:
                ssh: \(server.target())
              stack:
                compose: {project_dir: \(stack.projectDir), project_name: \(ComposeStack.projectName), ssh: apphost}
            """)
        try cli.write(runbook: "ps", """
            runbook: ps
            summary: compose ps on the app host
            requires: [stack]
            steps:
              - id: ps
                action: compose.ps
                timeout: 60s
                with: {target: stack, services: [postgres-shared]}
            """)
        let outcome = try cli.invoke("run", "ps")
        XCTAssertEqual(outcome.status, 0, outcome.output)
        XCTAssertTrue(outcome.output.contains("postgres-shared"), outcome.output)
        XCTAssertTrue(outcome.output.contains("running"), outcome.output)
        let audit = try String(contentsOfFile: cli.state + "/audit.jsonl", encoding: .utf8)
        XCTAssertTrue(audit.contains("\"ssh apphost\""), "the process went through ssh: \(audit.suffix(2000))")
        XCTAssertTrue(audit.contains("docker compose --project-directory"), audit.suffix(2000).description)
    }
}
