import Foundation
import RunbookCore
import RunbookEngine

/// Check `pitr.target-not-future`: a time target must not lie ahead of the clock of the
/// server's machine (whose clock stamps the commits). Recovering "to the future" would
/// replay everything and then fail, or, worse, quietly stop at whatever the archive holds.
/// LSN targets are compared with the server's current WAL position when it answers.
struct TargetNotFuture: PITRAction {
    let spec = ActionSpec("pitr.target-not-future", role: .check, summary: "The recovery target is not in the future (server machine's clock, or current WAL position).",
                          inputs: [PITRServer.targetInput] + RecoveryTarget.inputs)

    func commands(_ server: PITRServer) -> (clock: CommandLine, walPosition: CommandLine) {
        (server.onHost(["date", "-u", "+%s.%N"]), server.psql(["SELECT pg_current_wal_lsn()"]))
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        let target = try RecoveryTarget.from(call)
        let c = commands(try PITRServer(call, context))
        switch target {
        case .time: return [.command(c.clock)]
        case .lsn: return [.command(c.walPosition)]
        case .name, .immediate, .latest: return [.builtin("nothing to check for \(target.kind)")]
        }
    }

    func perform(_ call: ResolvedCall, _ run: PITRRun) async throws -> ActionResult {
        let target = try RecoveryTarget.from(call)
        let c = commands(try PITRServer(call, run.context.plan))
        switch target {
        case .time(let t):
            let text = try await run.must(c.clock, "reading the server machine's clock").stdoutString
            guard let now = Instant.parseEpoch(text.replacingOccurrences(of: "\n", with: "")) else {
                throw PITRFailure("unexpected clock reading \"\(text)\"")
            }
            guard t <= now else {
                return .failed("the target \(t.iso8601) is in the future (the server's machine says \(now.iso8601))")
            }
            return .ok("target \(t.iso8601) is \(String(format: "%.1f", Double(now.microseconds - t.microseconds) / 1e6))s in the past")
        case .lsn(let l):
            let result = try await run.attempt(c.walPosition, timeout: 30)
            guard result.succeeded, let current = LSN(result.stdoutString.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                return .ok("the server does not answer; the archive check decides whether \(l) is reachable")
            }
            guard l <= current else { return .failed("the target \(l) is beyond the server's current WAL position \(current)") }
            return .ok("target \(l) is at or before the current WAL position \(current)")
        case .name, .immediate, .latest:
            return .ok("nothing to check for \(target.kind)")
        }
    }
}
