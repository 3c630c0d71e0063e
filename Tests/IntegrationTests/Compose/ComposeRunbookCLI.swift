import Foundation

/// The built `runbook` binary as an operator runs it against the test compose project: from
/// the repository root (its runbooks/ and profiles/), with DOCKER_HOST from the environment
/// and the secrets given as environment variables; output printed for the test log.
enum ComposeRunbookCLI {
    static func run(_ arguments: [String], secrets: [String: String]) throws -> (status: Int32, text: String) {
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env.merge(secrets) { _, new in new }
        let started = Date()
        let output = try Host.runCombined([binary] + arguments, environment: env, directory: ComposeStack.repositoryRoot)
        print("$ runbook \(arguments.prefix(2).joined(separator: " ")) (\(String(format: "%.1f", Date().timeIntervalSince(started)))s, exit \(output.status))\n\(output.text)")
        return output
    }

    /// Like `run`, but a non-zero exit fails with the command line.
    @discardableResult
    static func succeed(_ arguments: [String], secrets: [String: String]) throws -> String {
        let output = try run(arguments, secrets: secrets)
        guard output.status == 0 else {
            throw DockerEngine.HarnessError(description: "runbook \(arguments.joined(separator: " ")) exited \(output.status)")
        }
        return output.text
    }

    /// `$RUNBOOK_BIN`, else `runbook` beside the test bundle in the build directory.
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["RUNBOOK_BIN"], !path.isEmpty { return path }
        return URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("runbook").path
    }
}
