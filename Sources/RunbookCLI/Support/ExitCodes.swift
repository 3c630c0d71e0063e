import ArgumentParser
import RunbookEngine

extension RunbookExitCode {
    /// The argument parser's way of exiting with this code.
    var exitCode: ExitCode { ExitCode(rawValue) }
}
