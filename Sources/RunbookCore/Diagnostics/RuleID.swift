import Foundation

/// Every rule id a diagnostic can carry, with what it means: the one list. `Diagnostic`
/// is built from a `RuleID` only, so code cannot report an id that is not here, and
/// `runbook validate --list-rules` and docs/format.md show exactly this list.
///
/// Adding a rule: add a case here (its raw value is the `[id]` people see) and its line
/// in `summary`; the compiler asks for the line.
public enum RuleID: String, CaseIterable, Sendable, Codable, CustomStringConvertible {
    // Reading files
    case io
    case fileTooLarge = "file-too-large"
    case yamlSyntax = "yaml-syntax"
    case duplicateKey = "duplicate-key"
    case yamlTooLarge = "yaml-too-large"
    case yamlTooDeep = "yaml-too-deep"

    // Structure, reported while loading runbooks and profiles
    case type
    case enumeration = "enum"
    case range
    case missingKey = "missing-key"
    case unknownKey = "unknown-key"
    case paramType = "param-type"
    case secretSource = "secret-source"
    case targetKind = "target-kind"
    case targetVia = "target-via"
    case targetValue = "target-value"
    case targetGroup = "target-group"
    case literalSecret = "literal-secret"

    // Validation rules over a loaded runbook (one file each, in Validation/Rules)
    case nameMismatch = "name-mismatch"
    case invalidStepID = "invalid-step-id"
    case duplicateStepID = "duplicate-step-id"
    case unknownAction = "unknown-action"
    case unknownInput = "unknown-input"
    case missingInput = "missing-input"
    case inputType = "input-type"
    case inputMinimum = "input-minimum"
    case expression
    case undefinedReference = "undefined-reference"
    case secretInText = "secret-in-text"
    case shellInterpolation = "shell-interpolation"
    case undeclaredTarget = "undeclared-target"
    case missingTarget = "missing-target"
    case unknownRunbook = "unknown-runbook"
    case runbookCycle = "runbook-cycle"
    case runbookParams = "runbook-params"
    case runbookOutputs = "runbook-outputs"
    case paramDefault = "param-default"
    case when
    case forEach = "for-each"
    case parallel
    case rtoStep = "rto-step"

    // Starting a run: params, profile, secrets
    case unknownParam = "unknown-param"
    case missingParam = "missing-param"
    case paramValue = "param-value"
    case unknownProfile = "unknown-profile"
    case missingProfile = "missing-profile"
    case secretUnavailable = "secret-unavailable"

    public var description: String { rawValue }

    /// One line: what the rule reports.
    public var summary: String {
        switch self {
        case .io: return "A file or directory cannot be read."
        case .fileTooLarge: return "A file is larger than the loader reads."
        case .yamlSyntax: return "The file is not valid YAML (or uses a YAML feature runbooks do not: non-string keys, unresolved aliases)."
        case .duplicateKey: return "A mapping has the same key twice."
        case .yamlTooLarge: return "The YAML document has more nodes than the loader accepts."
        case .yamlTooDeep: return "The YAML document nests deeper than the loader accepts."
        case .type: return "A value has the wrong shape: a string where a list is needed, a mapping where a string is, and so on."
        case .enumeration: return "A value is not one of the values the key allows."
        case .range: return "A number is outside the range the key allows."
        case .missingKey: return "A required key is missing."
        case .unknownKey: return "A key the format does not have (with the closest valid key)."
        case .paramType: return "A param declares a type that does not exist."
        case .secretSource: return "A secret has neither env nor file to read it from."
        case .targetKind: return "A profile target does not have exactly one known kind."
        case .targetVia: return "A target key is written with a via it does not apply to."
        case .targetValue: return "A target key's value is malformed for its kind (an age recipient that does not parse, for example)."
        case .targetGroup: return "A host group is malformed: no members, a member setting a key its group's shape decides, a member named like another target, or a loop over a group the profile does not have."
        case .literalSecret: return "A profile key that must be ${secrets.NAME} holds a literal value."
        case .nameMismatch: return "A runbook's or profile's name differs from its file name."
        case .invalidStepID: return "A step id is not lowercase letters, digits, - and _."
        case .duplicateStepID: return "Two steps of a runbook have the same id."
        case .unknownAction: return "A step names an action or check that does not exist."
        case .unknownInput: return "An action is given an input it does not declare."
        case .missingInput: return "An action is not given a required input."
        case .inputType: return "A literal input value does not fit the input's declared type."
        case .inputMinimum: return "An integer input is below the least value its action accepts (a retention floor): as written, as its param's default, or as given with --param."
        case .expression: return "A ${...} reference is malformed, or its time format does not apply."
        case .undefinedReference: return "A reference names a param, secret, step output or loop variable that does not exist."
        case .shellInterpolation: return "A ${...} in shell.run's command sits inside quotes the author wrote or in a here-document, where the text is usually code for another program (warning)."
        case .secretInText: return "A secret is used where it would reach a command line, a title or a log."
        case .undeclaredTarget: return "A target input names a target the runbook does not list in requires:."
        case .missingTarget: return "A target is missing from the profile, or is of the wrong kind."
        case .unknownRunbook: return "runbook.run names a runbook that is not in the directory."
        case .runbookCycle: return "runbook.run calls form a cycle."
        case .runbookOutputs: return "A runbook's outputs: is not one reference to an output of one of its steps, or names a step or output that does not exist."
        case .runbookParams: return "runbook.run passes params the called runbook does not declare, or omits required ones."
        case .paramDefault: return "A param's default does not satisfy its type, allowed values or pattern."
        case .when: return "A when: condition is malformed."
        case .forEach: return "for_each is not a list or a reference to one, or as: is missing or unusable."
        case .parallel: return "parallel: is set on a step without for_each."
        case .rtoStep: return "rto: until names no top-level step."
        case .unknownParam: return "--param names a param the runbook does not declare."
        case .missingParam: return "A required param is not given."
        case .paramValue: return "A param's value does not satisfy its type, allowed values or pattern."
        case .unknownProfile: return "--profile names no profile file."
        case .missingProfile: return "The runbook requires targets but no profile was given."
        case .secretUnavailable: return "A secret's environment variable or file cannot be read when the run starts."
        }
    }
}
