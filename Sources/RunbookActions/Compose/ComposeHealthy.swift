import Foundation
import RunbookCore
import RunbookEngine

/// Check `compose.healthy`: every named service is running, and healthy when it has a
/// health check. Polls until a deadline instead of sleeping a fixed time.
struct ComposeHealthy: ExecutableAction {
    let spec = ActionSpec("compose.healthy", role: .check, summary: "Services are running (and healthy, where they have a health check).", inputs: [
        ComposeProject.targetInput,
        InputSpec("services", .list(.string), required: true, "Services that must be up."),
        InputSpec("timeout", .duration, default: .string("60s"), "How long to keep polling."),
        InputSpec("interval", .duration, default: .string("1s"), "Time between polls."),
    ])

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        [.command(try ComposeProject.command(call, ["ps", "--all", "--format", "json"] + (try call.strings("services"))))]
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let services = try call.strings("services")
        let deadline = Date().addingTimeInterval(try call.duration("timeout"))
        let interval = try call.duration("interval")
        guard case .command(let command)? = try plan(call, in: context.plan).first else { return .failed("nothing to run") }
        var lastProblem = "no answer from docker compose ps"
        while true {
            let result = try await context.processes.run(command, environment: [:], timeout: 30, onOutput: nil)
            if result.succeeded {
                let states = Self.parse(result.stdoutString)
                let problems = services.compactMap { service -> String? in
                    guard let s = states[service] else { return "\(service): not created" }
                    if s.state != "running" { return "\(service): \(s.state)" }
                    if !s.health.isEmpty && s.health != "healthy" { return "\(service): \(s.health)" }
                    return nil
                }
                if problems.isEmpty { return .ok("running: " + services.joined(separator: ", ")) }
                lastProblem = problems.joined(separator: "; ")
            } else {
                lastProblem = "docker compose ps failed (\(result.status)): \(result.stderrTail.suffix(300))"
            }
            if Date().addingTimeInterval(interval) > deadline { return .failed("not healthy by the deadline: \(lastProblem)") }
            try await Task.sleep(nanoseconds: UInt64(interval * 1e9))
        }
    }

    /// `docker compose ps --format json` prints one JSON object per line (v2.21+) or one array (older v2).
    static func parse(_ output: String) -> [String: (state: String, health: String)] {
        var objects: [[String: Any]] = []
        let trimmed = output.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("["), let data = trimmed.data(using: .utf8),
           let array = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] {
            objects = array
        } else {
            for line in trimmed.split(separator: "\n") {
                if let data = line.data(using: .utf8), let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any] { objects.append(o) }
            }
        }
        var out: [String: (String, String)] = [:]
        for o in objects {
            guard let service = o["Service"] as? String else { continue }
            out[service] = ((o["State"] as? String) ?? "", (o["Health"] as? String) ?? "")
        }
        return out
    }
}
