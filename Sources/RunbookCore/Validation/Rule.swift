import Foundation

/// One semantic check over a loaded runbook. Each rule lives in its own file,
/// reports with its own stable `name` (shown as `[name]`, listed in `RuleID`), and never throws.
public protocol Rule: Sendable {
    var name: RuleID { get }
    func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic]
}

/// What rules may consult besides the runbook itself.
public struct RuleContext: Sendable {
    public var catalog: ActionCatalog {
        didSet { specs = Self.index(catalog) }
    }
    /// Every runbook in the same directory, by name (for `runbook.run` targets and cycles).
    public var runbooks: [String: Runbook] {
        didSet { runbookCalls = Self.callGraph(runbooks) }
    }
    public var profile: Profile?
    /// For each runbook, the runbooks its `runbook.run` steps name (literal names only).
    /// Computed once here so cycle checks over a large directory stay linear.
    public private(set) var runbookCalls: [String: [String]]
    /// Set by `Validator.validate` for the runbook being validated.
    var cachedFacts: RunbookFacts?
    /// Specs by name: rules look actions up for every call of every runbook.
    private var specs: [String: ActionSpec]

    public init(catalog: ActionCatalog, runbooks: [String: Runbook] = [:], profile: Profile? = nil) {
        self.catalog = catalog
        self.runbooks = runbooks
        self.profile = profile
        self.runbookCalls = Self.callGraph(runbooks)
        self.specs = Self.index(catalog)
    }

    /// The spec of the action or check called `name`, if the catalog has one.
    public func spec(_ name: String) -> ActionSpec? { specs[name] }

    static func index(_ catalog: ActionCatalog) -> [String: ActionSpec] {
        var out: [String: ActionSpec] = [:]
        for d in catalog.definitions where out[d.spec.name] == nil { out[d.spec.name] = d.spec }
        return out
    }

    static func callGraph(_ runbooks: [String: Runbook]) -> [String: [String]] {
        runbooks.mapValues(\.runbookRunTargets)
    }
}
