import AsyncHTTPClient
import Foundation
import NIOCore
import RunbookCore
import RunbookEngine

/// Check `http.check`: replaces the seed's `curl /actuator/health`. Polls with a
/// deadline until the status (and optionally one JSON field) is as expected.
struct HTTPCheck: ExecutableAction {
    let spec = ActionSpec("http.check", role: .check, summary: "An HTTP endpoint answers with the expected status (and JSON field), polled until a deadline.", inputs: [
        InputSpec("target", .target(.http), required: true, "The service (an `http` target in the profile)."),
        InputSpec("path", .string, default: .string("/"), "Path appended to the target's base URL."),
        InputSpec("status", .int, default: .int(200), "Expected HTTP status."),
        InputSpec("json_field", .string, "Dot path of a JSON field to check, e.g. `status`."),
        InputSpec("json_value", .string, "Expected value of json_field, compared as text."),
        InputSpec("timeout", .duration, default: .string("60s"), "How long to keep polling."),
        InputSpec("interval", .duration, default: .string("1s"), "Time between polls."),
    ])

    func url(_ call: ResolvedCall) throws -> String {
        let t = try call.target("target", as: HTTPTarget.self)
        let base = t.baseURL.hasSuffix("/") ? String(t.baseURL.dropLast()) : t.baseURL
        let path = try call.string("path")
        return base + (path.hasPrefix("/") ? path : "/" + path)
    }

    func plan(_ call: ResolvedCall, in context: PlanContext) throws -> [PlannedOperation] {
        var d = "GET \(try url(call)) until status \(try call.int("status"))"
        if let field = call.optionalString("json_field") { d += " and .\(field) == \(call.optionalString("json_value") ?? "(any)")" }
        d += ", every \(call.optionalString("interval") ?? "1s") for up to \(call.optionalString("timeout") ?? "60s")"
        return [.builtin(d)]
    }

    func run(_ call: ResolvedCall, in context: RunContext) async throws -> ActionResult {
        let target = try url(call)
        let expected = try call.int("status")
        let interval = try call.duration("interval")
        let deadline = Date().addingTimeInterval(try call.duration("timeout"))
        var last = "no answer"
        while true {
            do {
                var request = HTTPClientRequest(url: target)
                request.method = .GET
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
                let body = try await response.body.collect(upTo: 1 << 20)
                let status = Int(response.status.code)
                if status == expected {
                    guard let field = call.optionalString("json_field") else { return .ok("\(target) answered \(status)") }
                    let got = Self.jsonField(Data(body.readableBytesView), path: field)
                    let want = call.optionalString("json_value")
                    if let got, want == nil || got == want { return .ok("\(target) answered \(status), .\(field) = \(got)") }
                    last = "status \(status), .\(field) = \(got ?? "(missing)")"
                } else {
                    last = "status \(status)"
                }
            } catch {
                last = "\(error)"
            }
            if Date().addingTimeInterval(interval) > deadline { return .failed("\(target) did not pass by the deadline: last \(last)") }
            try await Task.sleep(nanoseconds: UInt64(interval * 1e9))
        }
    }

    static func jsonField(_ data: Data, path: String) -> String? {
        guard var current = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return nil }
        for key in path.split(separator: ".") {
            guard let o = current as? [String: Any], let next = o[String(key)] else { return nil }
            current = next
        }
        switch current {
        case let s as String: return s
        case let n as NSNumber: return n.stringValue
        default: return nil
        }
    }
}
