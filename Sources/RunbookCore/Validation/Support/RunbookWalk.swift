import Foundation

/// Which list a step belongs to: the main `steps:` or the runbook-level `on_failure:`.
enum StepSection: Sendable {
    case main, onFailure
}

/// A step together with where it sits, which decides what it may reference.
/// A class, as `CallSite` is: every call and template site holds one, and rules pass
/// sites around by the thousand; a struct copy retained each of the step's fields.
final class StepRef: Sendable {
    let step: Step
    let section: StepSection
    let index: Int

    init(step: Step, section: StepSection, index: Int) {
        self.step = step
        self.section = section
        self.index = index
    }
}

/// Where a call sits in its step. Checks and actions are not interchangeable, and
/// `verify:` and `rollback:` run after the step's action, so they may read its outputs.
enum CallRole: String, Sendable {
    case action, rollback, require, verify

    var expectedRole: ActionSpec.Role { self == .require || self == .verify ? .check : .action }
    var runsAfterAction: Bool { self == .verify || self == .rollback }
    /// How the call is introduced in YAML, for messages.
    var key: String {
        switch self {
        case .action: return "action"
        case .rollback: return "rollback"
        case .require: return "require"
        case .verify: return "verify"
        }
    }
}

final class CallSite: Sendable {
    let call: ActionCall
    let role: CallRole
    let owner: StepRef

    init(call: ActionCall, role: CallRole, owner: StepRef) {
        self.call = call
        self.role = role
        self.owner = owner
    }
}

/// A scalar that holds `${...}` references, wherever it was written.
struct TemplateSite: Sendable {
    /// How an input's scalar sits inside the input's value.
    enum Nesting: Sendable {
        /// The input's whole value (`database: ${params.db}`).
        case whole
        /// An item of a list value.
        case listItem
        /// A value of a mapping value (`env: {PGPASSWORD: ${secrets.pw}}`).
        case mapValue
        /// Anything deeper.
        case deeper
    }

    enum Place: Sendable {
        case input(CallSite, name: String, nesting: Nesting)
        case confirm, manual, when, forEach, title

        /// The YAML key the text was written under, for messages.
        var key: String {
            switch self {
            case .input(_, let name, _): return name
            case .confirm: return "confirm"
            case .manual: return "manual"
            case .when: return "when"
            case .forEach: return "for_each"
            case .title: return "title"
            }
        }
    }

    let node: YNode
    let owner: StepRef
    let place: Place
    let parsed: Result<Template, Template.ParseError>

    var text: String { node.scalar ?? "" }

    /// Where the character `offset` of the text is, and how many columns `length`
    /// characters span; the node itself when the text is not verbatim on one line.
    func span(offset: Int, length: Int) -> (SourceLocation, Int) {
        span(offset: offset, length: length, columns: ColumnMap(text))
    }

    private func span(offset: Int, length: Int, columns: ColumnMap) -> (SourceLocation, Int) {
        guard node.locatesInsideValue else { return (node.location, 1) }
        let start = columns.scalarOffset(offset)
        return (node.location(atValueOffset: start), columns.scalarOffset(offset + length) - start)
    }

    /// Every reference with its position, for rules that report per reference.
    var references: [(reference: Reference, format: String?, location: SourceLocation, length: Int)] {
        guard case .success(let template) = parsed else { return [] }
        let columns = ColumnMap(text)
        return template.parts.compactMap { part in
            guard case .reference(let ref, let format, let offset, let length) = part else { return nil }
            let (loc, len) = span(offset: offset, length: length, columns: columns)
            return (ref, format, loc, len)
        }
    }
}

/// Character offsets (what `Template` reports) to unicode-scalar offsets (what libyaml's
/// columns count), computed in one pass so a string with thousands of references stays linear.
struct ColumnMap {
    private let prefix: [Int]?

    init(_ text: String) {
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            prefix = nil
        } else {
            var sums = [0]
            var n = 0
            for c in text {
                n += c.unicodeScalars.count
                sums.append(n)
            }
            prefix = sums
        }
    }

    func scalarOffset(_ characterOffset: Int) -> Int {
        guard let prefix else { return characterOffset }
        return prefix[max(0, min(characterOffset, prefix.count - 1))]
    }
}

extension Runbook {
    /// Main steps, then on_failure steps.
    var stepRefs: [StepRef] {
        steps.enumerated().map { StepRef(step: $1, section: .main, index: $0) }
            + onFailure.enumerated().map { StepRef(step: $1, section: .onFailure, index: $0) }
    }

    var callSites: [CallSite] { Self.callSites(of: stepRefs) }

    /// The calls of `refs`' steps: each step's action, checks, then rollback.
    static func callSites(of refs: [StepRef]) -> [CallSite] {
        var out: [CallSite] = []
        for ref in refs {
            let s = ref.step
            if let a = s.action { out.append(CallSite(call: a, role: .action, owner: ref)) }
            out += s.require.map { CallSite(call: $0, role: .require, owner: ref) }
            out += s.verify.map { CallSite(call: $0, role: .verify, owner: ref) }
            if let r = s.rollback { out.append(CallSite(call: r, role: .rollback, owner: ref)) }
        }
        return out
    }

    /// Every scalar containing `${`, parsed.
    var templateSites: [TemplateSite] {
        let refs = stepRefs
        return Self.templateSites(of: refs, calls: Self.callSites(of: refs))
    }

    /// The template sites of `refs` and their calls `calls`.
    static func templateSites(of refs: [StepRef], calls: [CallSite]) -> [TemplateSite] {
        var out: [TemplateSite] = []
        func add(_ node: YNode, _ owner: StepRef, _ place: TemplateSite.Place) {
            guard let text = node.scalar, text.utf8.containsReferenceStart else { return }
            out.append(TemplateSite(node: node, owner: owner, place: place, parsed: Template.parse(text)))
        }
        func addInput(_ node: YNode, _ site: CallSite, _ name: String, _ nesting: TemplateSite.Nesting) {
            switch node.kind {
            case .scalar: add(node, site.owner, .input(site, name: name, nesting: nesting))
            case .sequence(let items):
                for item in items { addInput(item, site, name, nesting == .whole ? .listItem : .deeper) }
            case .mapping(let pairs):
                for p in pairs { addInput(p.value, site, name, nesting == .whole ? .mapValue : .deeper) }
            }
        }
        func addAll(_ node: YNode, _ owner: StepRef, _ place: TemplateSite.Place) {
            switch node.kind {
            case .scalar: add(node, owner, place)
            case .sequence(let items): items.forEach { addAll($0, owner, place) }
            case .mapping(let pairs): pairs.forEach { addAll($0.value, owner, place) }
            }
        }
        for ref in refs {
            let s = ref.step
            if let f = s.forEach { addAll(f, ref, .forEach) }
            if let w = s.when { add(w.node, ref, .when) }
            if let c = s.confirm { add(c.node, ref, .confirm) }
            if let t = s.titleSource { add(t.node, ref, .title) }
            for m in s.manual { add(m.node, ref, .manual) }
        }
        for site in calls {
            for pair in site.call.inputs { addInput(pair.value, site, pair.key, .whole) }
        }
        return out
    }

    /// `runbook.run` calls that name their runbook literally.
    var runbookRunCalls: [(target: String, node: YNode, site: CallSite)] { Self.runbookRunCalls(in: callSites) }

    static func runbookRunCalls(in calls: [CallSite]) -> [(target: String, node: YNode, site: CallSite)] {
        calls.compactMap { site in
            literalRunbookTarget(site.call).map { ($0.name, $0.node, site) }
        }
    }

    /// The targets of `runbookRunCalls`, in the same order, without building call sites:
    /// the call graph of a whole directory is built from these before rules run.
    public var runbookRunTargets: [String] {
        var out: [String] = []
        forEachCall { call in
            if let target = Self.literalRunbookTarget(call) { out.append(target.name) }
        }
        return out
    }

    /// True when a `runbook.run` call computes the name of its runbook (`${...}`): only the
    /// whole runbooks directory can say what it may run.
    public var callsRunbookByComputedName: Bool {
        var computed = false
        forEachCall { call in
            if call.name == RunbookRunInputs.action, Self.literalRunbookTarget(call) == nil { computed = true }
        }
        return computed
    }

    /// Every action call of the steps and on_failure, in order: action, require, verify, rollback.
    private func forEachCall(_ body: (ActionCall) -> Void) {
        // Fields through the subscript: binding each step would copy (retain) all of it.
        for list in [steps, onFailure] {
            for i in list.indices {
                list[i].action.map(body)
                list[i].require.forEach(body)
                list[i].verify.forEach(body)
                list[i].rollback.map(body)
            }
        }
    }

    /// The runbook a `runbook.run` call names literally (not through `${...}`).
    static func literalRunbookTarget(_ call: ActionCall) -> (name: String, node: YNode)? {
        guard call.name == RunbookRunInputs.action, let node = call.input(RunbookRunInputs.runbook),
              let name = node.scalar, !node.isNull, !name.utf8.containsReferenceStart else { return nil }
        return (name, node)
    }

    /// Every step id, in order.
    var allStepIDs: [String] { stepRefs.map(\.step.id).filter { !$0.isEmpty } }
}

/// The name and inputs of `runbook.run`: the contract between the action (declared in
/// RunbookActions), the engine that runs the child, the planner and the validator.
public enum RunbookRunInputs {
    public static let action = "runbook.run"
    public static let runbook = "runbook"
    public static let params = "params"
}

extension String.UTF8View {
    /// True when the text contains `${` (cheaper than a substring search on Characters).
    var containsReferenceStart: Bool {
        var previous: UInt8 = 0
        for byte in self {
            if byte == UInt8(ascii: "{") && previous == UInt8(ascii: "$") { return true }
            previous = byte
        }
        return false
    }
}
