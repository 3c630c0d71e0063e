import Foundation
import XCTest

/// Runs the built `runbook` executable as a user would, through `RunbookProcess`.
enum RunbookBinary {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var path: String { RunbookProcess.binary }

    /// The repository root (where Package.swift is).
    static var repoRoot: String { RunbookProcess.packageRoot.path }

    /// `runbook ARGUMENTS` with `NO_COLOR=1`, through `RunbookProcess`.
    @discardableResult
    static func run(_ arguments: [String], cwd: String? = nil, environment: [String: String] = [:],
                    stdin: String? = nil) throws -> Output {
        let r = try RunbookProcess.run(arguments, cwd: cwd, environment: environment, stdin: stdin)
        return Output(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }
}
