import Foundation

/// One key of the runbook or profile format, declared once: the loaders' unknown-key checks,
/// the JSON Schemas and docs/format.md's tables all read these lists.
public struct FormatKey: Sendable {
    public var name: String
    public var required: Bool
    /// One line for editors (the JSON Schema's description).
    public var summary: String
    /// The docs/format.md table cell (Markdown); the summary when the format has no table for it.
    public var doc: String

    public init(_ name: String, required: Bool = false, _ summary: String, doc: String? = nil) {
        self.name = name
        self.required = required
        self.summary = summary
        self.doc = doc ?? summary
    }
}

/// The runbook and profile formats' keys. Adding a key here makes the loader accept it (it
/// must still read it), and puts it in the schema and in docs/format.md.
public enum RunbookFormat {
    public static let runbook: [FormatKey] = [
        FormatKey("runbook", required: true, "The runbook's name; must equal the file name without .yaml."),
        FormatKey("summary", required: true, "One line saying what the runbook does."),
        FormatKey("description", "Longer explanation: when to use it, what it assumes."),
        FormatKey("params", "Typed parameters, given with --param NAME=VALUE."),
        FormatKey("secrets", "Secrets the steps use, read at run time from an environment variable or a file."),
        FormatKey("requires", "Names of the targets the steps use; a profile binds them to real endpoints."),
        FormatKey("locks", "Extra lock names held for the whole run, besides the runbook's own name."),
        FormatKey("steps", required: true, "The steps, run in order."),
        FormatKey("on_failure", "Steps that run after any failure (after rollback), e.g. to notify or escalate."),
        FormatKey("outputs", "What a runbook that runs this one (runbook.run) can read as ${steps.CALL.outputs.NAME}: each name bound to ${steps.ID.outputs.NAME} of one of its steps."),
        FormatKey("rto", "Recovery time objective: the run's time until a step succeeds is measured and recorded against target."),
    ]

    public static let step: [FormatKey] = [
        FormatKey("id", required: true, "Unique step id: lowercase letters, digits, - and _. Outputs are read as ${steps.ID.outputs.NAME}.", doc: "required, unique in the runbook (`duplicate-step-id`), `^[a-z0-9][a-z0-9-_]*$`; names the step in plans, the journal, the audit trail and `${steps.ID.outputs.NAME}`"),
        FormatKey("title", "What the step does, for people.", doc: "a human title for plans, docs and the run's output; `${...}` references are filled in (a loop item's title names its item; the loop as a whole keeps them as written)"),
        FormatKey("action", "The action to run (family.verb).", doc: "what the step does: a name from [actions.md](actions.md)"),
        FormatKey("with", "The action's inputs.", doc: "the action's inputs; unknown inputs, missing required ones and wrong types are errors"),
        FormatKey("require", "Checks that must pass before the action runs (preconditions).", doc: "checks that must pass **before** the action; if one fails, the step fails without running"),
        FormatKey("verify", "Checks that must pass after the action ran (postconditions).", doc: "checks that must pass **after** the action; if one fails, the step fails"),
        FormatKey("rollback", "The action that undoes this step if a later step fails.", doc: "an `action` + `with` that undoes this step; run (newest first) when a later step fails"),
        FormatKey("confirm", "Marks the step destructive: this text is shown and an operator must confirm (or pass --yes).", doc: "marks the step destructive: the text shown when asking an operator to confirm it; without a terminal the run needs `--yes`. A `postgres.restore` step adds the backup it restores, resolved at that moment (`latest` becomes the file the manifest names: when it was taken and how long ago, its size, whether it was verified); that line is in the confirmation's audit event too, and that file is what runs. Declined before any step completed: exit 5, nothing ran; after: exit 2, and `runbook resume` asks again"),
        FormatKey("manual", "Checklist items a person must tick; the audit records who and when.", doc: "checklist items a person ticks; the audit trail records who and when"),
        FormatKey("for_each", "Run the step once per item: a list, or a reference to a list param or step output.", doc: "a list, or a single `${...}` reference to one: the step runs once per item"),
        FormatKey("as", "Name of the loop variable for for_each, used as ${NAME}.", doc: "the loop variable's name, used as `${NAME}` inside the step (required with `for_each`)"),
        FormatKey("parallel", "How many for_each items run at once (default 1).", doc: "how many loop items run at once (default 1)"),
        FormatKey("timeout", "Maximum time for the action, e.g. 30s, 5m, 1h.", doc: "a duration; when it expires the step's processes get SIGINT, then SIGTERM, then SIGKILL"),
        FormatKey("retry", "Retry the action: attempts (total tries) and delay between them.", doc: "`{attempts: N, delay: DURATION}`"),
        FormatKey("on_failure", "What a failure of this step does: rollback (default), abort or continue.", doc: failurePolicyDoc),
        FormatKey("when", "Run the step only if this holds: ${params.X}, or A == B, or A != B.", doc: "a condition on params: `${params.x}` (true unless empty, `false`, `0` or `no`), or `A == B` / `A != B`"),
    ]

    public static let param: [FormatKey] = [
        FormatKey("type", required: true, "The param's type.", doc: paramTypeDoc),
        FormatKey("default", "Value used when --param is not given; must satisfy type, allowed and pattern.", doc: "the value when none is given; checked against the type, `allowed` and `pattern` (rule `param-default`)"),
        FormatKey("required", "The run refuses to start without this param (unless it has a default).", doc: "`true` if the runbook cannot run without it (and it has no default)"),
        FormatKey("allowed", "The only values accepted.", doc: "a list of the only values accepted"),
        FormatKey("pattern", "A regular expression the whole value must match.", doc: "a regular expression the whole value must match"),
        FormatKey("description", "What the param means, for people.", doc: "shown in `runbook list` and the parameters table of `runbook docs`"),
    ]

    public static let secret: [FormatKey] = [
        FormatKey("env", "Environment variable holding the secret."),
        FormatKey("file", "File holding the secret (a trailing newline is stripped); keep it mode 0600."),
        FormatKey("description", "What the secret is, for people."),
    ]

    public static let rto: [FormatKey] = [
        FormatKey("target", required: true, "The objective, a duration such as 4h; the RTO achieved is recorded as met or missed against it.", doc: "required: the objective, a duration (`30m`, `4h`, `1h30m`) greater than 0"),
        FormatKey("until", "The top-level step whose success ends the recovery (default: the last step).", doc: "the id of a top-level step (not an `on_failure` step): recovery counts as done when this step has succeeded, all of its `for_each` iterations included. Default: the last step. A name that is no step is an error (`rto-step`), with the valid ids listed"),
    ]

    public static let profile: [FormatKey] = [
        FormatKey("profile", required: true, "The profile's name; must equal the file name without .yaml."),
        FormatKey("description", "Where this profile points, for people."),
        FormatKey("secrets", "Secrets the targets use (passwords, keys), read from an environment variable or a file."),
        FormatKey("targets", required: true, "Target names bound to real endpoints: each has exactly one kind."),
    ]

    public static let retry: [FormatKey] = [
        FormatKey("attempts", "Total tries, at least 1."),
        FormatKey("delay", "Wait between tries, e.g. 10s."),
    ]

    /// What docs/format.md says about each param type beyond its name.
    static let paramTypeNotes: [String: String] = [
        "duration": "`30s`, `5m`, `1h30m`",
        "identifier": "letters, digits, `_`, not starting with a digit, at most 63 characters: safe as a PostgreSQL name",
        "timestamp": "`2024-01-15T14:30:00Z` or `2024-01-15 14:30:00 UTC`",
    ]

    static var paramTypeDoc: String {
        "required: " + ParamType.scalarNames.map { name in
            "`\(name)`" + (paramTypeNotes[name].map { " (\($0))" } ?? "")
        }.joined(separator: ", ") + ", or `list<T>` of any of these"
    }

    static let failurePolicyNotes: [Step.FailurePolicy: String] = [
        .rollback: "default: roll back every completed step, newest first",
        .abort: "stop, leave completed steps",
        .continue: "record the failure and go on; the run then exits 7, completed with failures, naming them",
        .ignore: "record the failure and go on; the failure is acceptable and the run can still succeed",
    ]

    static var failurePolicyDoc: String {
        let items = Step.FailurePolicy.allCases.map { p in "`\(p.rawValue)`" + (failurePolicyNotes[p].map { " (\($0))" } ?? "") }
        return items.dropLast().joined(separator: ", ") + ", or " + (items.last ?? "")
    }

    static func help(_ keys: [FormatKey]) -> [String: String] {
        Dictionary(keys.map { ($0.name, $0.summary) }, uniquingKeysWith: { a, _ in a })
    }
}

extension Array where Element == FormatKey {
    /// The keys a mapping cannot do without.
    public var requiredNames: [String] { filter(\.required).map(\.name) }
}
