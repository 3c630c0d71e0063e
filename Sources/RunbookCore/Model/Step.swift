import Foundation

public struct Step: Sendable {
    public enum FailurePolicy: String, Sendable, CaseIterable, Codable {
        /// Roll back every completed step, newest first (the default).
        case rollback
        /// Stop here; leave completed steps as they are.
        case abort
        /// Record the failure and go on with the next step; the run then ends
        /// "completed with failures" (exit 7), naming what failed.
        case `continue`
        /// Record the failure and go on; the failure is acceptable, so the run can still succeed.
        case ignore

        /// True when a failure lets the run go on (`continue`, `ignore`).
        public var goesOn: Bool { self == .continue || self == .ignore }
    }

    public struct Retry: Sendable, Hashable {
        public var attempts: Int
        public var delay: Double
        public init(attempts: Int, delay: Double) {
            self.attempts = attempts
            self.delay = delay
        }
    }

    public var id: String
    public var idLocation: SourceLocation
    public var title: String?
    /// `title:` as written, with where it was written, for reference checks.
    public var titleSource: Templated?
    /// Nil for a purely manual step (a checklist).
    public var action: ActionCall?
    public var require: [ActionCall]
    public var verify: [ActionCall]
    public var rollback: ActionCall?
    /// Text shown when asking the operator to confirm a destructive step.
    public var confirm: Templated?
    /// Checklist items a person must tick.
    public var manual: [Templated]
    /// A list (or a `${...}` reference to one) to run the step once per item.
    public var forEach: YNode?
    /// The loop variable's name, `${<as>}` inside the step.
    public var loopVariable: String?
    public var parallel: Int
    /// Seconds.
    public var timeout: Double?
    public var retry: Retry?
    public var onFailure: FailurePolicy
    /// A simple condition on params, e.g. `${params.format} == custom`.
    public var when: Templated?
    public var location: SourceLocation
    /// Where each key of the step was written, for rules about keys whose values
    /// have defaults (`parallel: 1`) or that only make sense together (`as` and `for_each`).
    public var keyLocations: [String: SourceLocation] = [:]

    public init(id: String, idLocation: SourceLocation, title: String? = nil, action: ActionCall? = nil,
                require: [ActionCall] = [], verify: [ActionCall] = [], rollback: ActionCall? = nil,
                confirm: Templated? = nil, manual: [Templated] = [], forEach: YNode? = nil, loopVariable: String? = nil,
                parallel: Int = 1, timeout: Double? = nil, retry: Retry? = nil, onFailure: FailurePolicy = .rollback,
                when: Templated? = nil, location: SourceLocation) {
        self.id = id
        self.idLocation = idLocation
        self.title = title
        self.action = action
        self.require = require
        self.verify = verify
        self.rollback = rollback
        self.confirm = confirm
        self.manual = manual
        self.forEach = forEach
        self.loopVariable = loopVariable
        self.parallel = parallel
        self.timeout = timeout
        self.retry = retry
        self.onFailure = onFailure
        self.when = when
        self.location = location
    }

    /// Destructive steps need an operator's confirmation (or `--yes`).
    public var isDestructive: Bool { confirm != nil }
}

/// `action: NAME` + `with: {...}`, or a check: `check: NAME` + its inputs inline.
public struct ActionCall: Sendable {
    public var name: String
    public var nameLocation: SourceLocation
    /// The inputs exactly as written; resolved against params at plan/run time.
    public var inputs: [YPair]
    public var location: SourceLocation

    public init(name: String, nameLocation: SourceLocation, inputs: [YPair] = [], location: SourceLocation) {
        self.name = name
        self.nameLocation = nameLocation
        self.inputs = inputs
        self.location = location
    }

    public func input(_ key: String) -> YNode? { inputs.first { $0.key == key }?.value }
}

/// A string that may contain `${...}` references, with its location.
public struct Templated: Sendable, Hashable {
    public var text: String
    public var location: SourceLocation
    /// See `YNode.valueColumn`: where the text starts when it is verbatim on one line.
    public var valueColumn: Int?
    public init(_ text: String, at location: SourceLocation, valueColumn: Int? = nil) {
        self.text = text
        self.location = location
        self.valueColumn = valueColumn
    }

    public init(_ node: YNode) {
        self.init(node.scalar ?? "", at: node.location, valueColumn: node.valueColumn)
    }

    /// As a scalar node, so rules treat every templated string the same way.
    public var node: YNode { YNode(.scalar(text, quoted: true), at: location, valueColumn: valueColumn) }
}
