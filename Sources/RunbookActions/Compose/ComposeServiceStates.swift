import Foundation

/// What `docker compose ps --all --format json` says about each container, grouped by
/// service (a scaled service has several), and the one-line problems a check reports.
struct ComposeServiceStates: Sendable {
    struct Container: Sendable, Equatable {
        var name: String
        /// running, exited, restarting, paused, created, dead...
        var state: String
        /// healthy, unhealthy, starting, or empty when the service has no health check.
        var health: String
        var exitCode: Int?
    }

    var byService: [String: [Container]]

    /// compose v2.21+ prints one JSON object per line; older v2 releases print one array.
    init(parsing output: String) {
        var objects: [[String: Any]] = []
        let trimmed = output.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("["), let array = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [[String: Any]] {
            objects = array
        } else {
            for line in trimmed.split(separator: "\n") {
                if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] { objects.append(object) }
            }
        }
        var grouped: [String: [Container]] = [:]
        for o in objects {
            guard let service = o["Service"] as? String else { continue }
            grouped[service, default: []].append(Container(name: (o["Name"] as? String) ?? service,
                                                           state: (o["State"] as? String) ?? "",
                                                           health: (o["Health"] as? String) ?? "",
                                                           exitCode: (o["ExitCode"] as? NSNumber)?.intValue))
        }
        byService = grouped.mapValues { $0.sorted { $0.name < $1.name } }
    }

    /// Why `service` is not up: nil when every container of it is running and, where it has
    /// a health check, healthy. `requireHealthy: false` accepts any health.
    func problem(_ service: String, requireHealthy: Bool = true) -> String? {
        guard let containers = byService[service], !containers.isEmpty else { return "\(service): no container (never created, or removed)" }
        let bad = containers.compactMap { c -> String? in
            if c.state != "running" {
                return c.state == "exited" ? "exited with code \(c.exitCode.map(String.init) ?? "?")" : c.state
            }
            if requireHealthy && !c.health.isEmpty && c.health != "healthy" { return c.health }
            return nil
        }
        guard !bad.isEmpty else { return nil }
        let detail = containers.count == 1 ? bad[0] : "\(bad.count) of \(containers.count) containers: \(bad.joined(separator: ", "))"
        return "\(service): \(detail)"
    }

    /// `name running (healthy)` per container, for messages and outputs.
    var summary: String {
        byService.keys.sorted().flatMap { service in
            (byService[service] ?? []).map { c in
                "\(service) \(c.state)" + (c.health.isEmpty ? "" : " (\(c.health))")
            }
        }.joined(separator: ", ")
    }
}
