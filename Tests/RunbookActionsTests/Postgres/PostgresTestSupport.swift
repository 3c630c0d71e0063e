@testable import RunbookActions
import RunbookCore

/// Builds resolved calls and plan contexts for argv tests, as the binder would.
enum PostgresCalls {
    static let here = SourceLocation(file: "test.yaml", line: 1, column: 1)

    static let localTarget = PostgresTarget(via: .local, host: "/run/pg", port: 5433, user: "aqstream", passwordSecret: "pg_password")
    static let composeTarget = PostgresTarget(via: .compose, user: "aqstream", passwordSecret: "pg_password",
                                              compose: "stack", service: "postgres-shared")

    static func profile(_ db: PostgresTarget) -> Profile {
        Profile(name: "test", path: "profiles/test.yaml", targets: [
            TargetDecl(name: "db", binding: .postgres(db), location: here),
            TargetDecl(name: "stack", binding: .compose(ComposeTarget(projectDir: "/opt/aqstream")), location: here),
        ])
    }

    static func context(_ db: PostgresTarget) -> PlanContext {
        PlanContext(profile: profile(db), runID: "20240115-030000-ab12", stateDir: "/tmp/state")
    }

    /// The call with defaults applied, like `CallBinder` does.
    static func call(_ action: any ActionDefinition, _ db: PostgresTarget, _ inputs: [String: Value]) -> ResolvedCall {
        var all = inputs
        for spec in action.spec.inputs where all[spec.name] == nil {
            if let d = spec.defaultValue { all[spec.name] = d }
        }
        var targets: [String: TargetDecl] = [:]
        for spec in action.spec.inputs {
            if case .target = spec.type, let name = all[spec.name]?.stringValue, let decl = profile(db).target(name) {
                targets[spec.name] = decl
            }
        }
        return ResolvedCall(spec: action.spec, stepID: "step", inputs: all, targets: targets)
    }

    static func commands(_ ops: [PlannedOperation]) -> [CommandLine] {
        ops.compactMap { if case .command(let c) = $0 { return c }; return nil }
    }

    static func builtins(_ ops: [PlannedOperation]) -> [String] {
        ops.compactMap { if case .builtin(let s) = $0 { return s }; return nil }
    }
}

extension Value: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}
