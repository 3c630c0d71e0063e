import Foundation

/// Where a `${...}` sits in shell text, as `/bin/sh` will parse the text around it.
public enum ShellContext: Sendable, Hashable {
    case unquoted
    /// Inside `'...'` the author wrote.
    case singleQuoted
    /// Inside `"..."` the author wrote.
    case doubleQuoted
    /// In the body of a here-document; `expands` is false for a quoted delimiter (`<<'EOF'`).
    case heredoc(expands: Bool)
}

/// Shell text (`shell.run`'s `command:`) with its `${...}` references made safe by construction.
///
/// A value is never pasted into the text: each reference becomes an expansion of an
/// environment variable, and the value travels in the environment. The shell does not
/// parse the result of an expansion as code, so `;`, `$(...)`, backticks, quotes and
/// newlines in a value can never start a second command, whatever the value is and
/// wherever the reference sits. The form of the expansion follows the quoting around
/// it, so the value also arrives intact, as one word:
///
/// | written | runs as |
/// |---|---|
/// | `ls ${params.dir}/x` | `ls "$RB_PARAM_DIR"/x` |
/// | `echo "in ${params.dir}"` | `echo "in ${RB_PARAM_DIR}"` |
/// | `echo 'in ${params.dir}'` | `echo 'in '"$RB_PARAM_DIR"''` |
/// | a here-document line `${params.dir}` | `${RB_PARAM_DIR}` |
///
/// Where the quoting cannot help, the validator warns (rule `shell-interpolation`): quoted
/// text and here-documents are often code for another program (`sh -c`, `ssh`, `psql`).
public struct ShellText: Sendable, Hashable {
    /// The text `/bin/sh -c` runs.
    public var text: String
    /// The environment the text expects, by variable name: the values of its references.
    public var variables: [String: String]

    /// Rewrites `templated` and resolves its references with `evaluator`. A secret is refused,
    /// as in any text: it reaches a script only through `env`.
    public static func bind(_ templated: Templated, evaluator: Evaluator) throws -> ShellText {
        let template: Template
        switch Template.parse(templated.text) {
        case .success(let parsed): template = parsed
        case .failure(let e): throw EvaluationError(e.message, at: templated.location)
        }
        let contexts = ShellLexer.contexts(of: template)
        var text = ""
        var variables: [String: String] = [:]
        var names: [String: String] = [:]  // reference text (with format) -> variable
        var referenceIndex = 0
        for part in template.parts {
            switch part {
            case .literal(let s):
                text += s
            case .reference(let ref, let format, _, _):
                let value = try evaluator.resolve(ref, at: templated.location)
                if case .secret = value {
                    throw EvaluationError("${\(ref)} is a secret and cannot be embedded in shell text; pass it through env and write \"$NAME\"",
                                          at: templated.location)
                }
                let key = ref.description + (format.map { "|" + $0 } ?? "")
                let name = names[key] ?? uniqueName(for: ref, taken: Set(names.values))
                names[key] = name
                variables[name] = try format.map { try Evaluator.formatTime(value, format: $0, at: templated.location) } ?? value.description
                text += expansion(of: name, in: contexts[referenceIndex])
                referenceIndex += 1
            }
        }
        return ShellText(text: text, variables: variables)
    }

    /// The expansion that yields exactly the variable's value, as one word, in `context`.
    static func expansion(of name: String, in context: ShellContext) -> String {
        switch context {
        case .unquoted: return "\"$\(name)\""
        case .doubleQuoted, .heredoc: return "${\(name)}"
        // Close the author's quote, expand in double quotes, reopen it.
        case .singleQuoted: return "'\"$\(name)\"'"
        }
    }

    /// `RB_PARAM_DIR` for `${params.dir}`, `RB_STEP_PROBE_STDOUT` for a step output, `RB_DB` for
    /// a loop variable `db`: readable in plans, and never a name the shell or a program uses.
    static func uniqueName(for ref: Reference, taken: Set<String>) -> String {
        let words: [String]
        switch ref {
        case .param(let n): words = ["PARAM", n]
        case .secret(let n): words = ["SECRET", n]
        case .stepOutput(let step, let output): words = ["STEP", step, output]
        case .run(let field): words = ["RUN", field]
        case .loop(let n): words = [n]
        case .groupMembers(let n): words = ["TARGETS", n, "MEMBERS"]
        }
        let base = "RB_" + words.joined(separator: "_").uppercased().map { c -> String in
            c.isASCII && (c.isLetter || c.isNumber) ? String(c) : "_"
        }.joined()
        var name = base
        var n = 2
        while taken.contains(name) {
            name = "\(base)_\(n)"
            n += 1
        }
        return name
    }
}

/// Follows `/bin/sh`'s quoting through shell text far enough to say where each reference
/// sits: quotes, backslashes, comments, `$(...)` and backticks, and here-documents.
/// When it is wrong, a value may arrive altered (split, or as literal text), but it is
/// still never code: an expansion's result is not parsed again, whatever the context.
enum ShellLexer {
    private enum Mode {
        /// Unquoted text; inside `$(`, the parentheses opened since.
        case unquoted(parens: Int)
        case single
        case double
        case backtick
    }

    private struct Heredoc {
        var delimiter: String
        var expands: Bool
        var stripsTabs: Bool
    }

    /// The context of each reference of `template`, in order.
    static func contexts(of template: Template) -> [ShellContext] {
        var lexer = State()
        var out: [ShellContext] = []
        for part in template.parts {
            switch part {
            case .literal(let s): for c in s { lexer.consume(c) }
            case .reference: out.append(lexer.referenceHere())
            }
        }
        return out
    }

    private struct State {
        var stack: [Mode] = [.unquoted(parens: 0)]
        var escaped = false
        var inComment = false
        /// What the previous character was, to tell a `#` that starts a comment, and `$(`.
        var previous: Character = " "
        /// Here-documents whose bodies start after the current line.
        var pending: [Heredoc] = []
        var body: Heredoc?
        /// The current line of a here-document body, to find its closing delimiter;
        /// nil once a reference is on it (then it cannot be the delimiter).
        var bodyLine: String? = ""
        /// Collecting `<<` and its delimiter word.
        var redirect: String?

        mutating func referenceHere() -> ShellContext {
            previous = "x"
            if let body {
                bodyLine = nil
                return .heredoc(expands: body.expands)
            }
            if redirect != nil { redirect! += "\u{0}" }
            if inComment { return .unquoted }
            switch stack.last! {
            case .single: return .singleQuoted
            case .double: return .doubleQuoted
            case .unquoted, .backtick: return .unquoted
            }
        }

        mutating func consume(_ c: Character) {
            defer { previous = c }
            if let current = body {
                if c == "\n" {
                    var line = bodyLine
                    if current.stripsTabs { line = line.map { String($0.drop { $0 == "\t" }) } }
                    if line == current.delimiter { body = pending.isEmpty ? nil : pending.removeFirst() }
                    bodyLine = ""
                } else {
                    bodyLine?.append(c)
                }
                return
            }
            if redirect != nil, collectRedirect(c) { return }
            if inComment {
                if c == "\n" { inComment = false; startBodies() }
                return
            }
            if escaped { escaped = false; return }
            switch stack.last! {
            case .single:
                if c == "'" { stack.removeLast() }
            case .double:
                if c == "\\" { escaped = true } else if c == "\"" { stack.removeLast() } else if c == "`" { stack.append(.backtick) } else if c == "(" && previous == "$" { stack.append(.unquoted(parens: 0)) }
            case .unquoted(let parens):
                unquoted(c, parens: parens)
            case .backtick:
                if c == "`" { stack.removeLast() } else { unquoted(c, parens: 0) }
            }
        }

        private mutating func unquoted(_ c: Character, parens: Int) {
            switch c {
            case "\\": escaped = true
            case "'": stack.append(.single)
            case "\"": stack.append(.double)
            case "`": stack.append(.backtick)
            case "#" where previous.isWhitespace || ";&|()".contains(previous): inComment = true
            case "(":
                if previous == "$" { stack.append(.unquoted(parens: 0)) } else { setParens(parens + 1) }
            case ")":
                if parens > 0 { setParens(parens - 1) } else if stack.count > 1 { stack.removeLast() }
            case "<" where previous == "<":
                redirect = ""
            case "\n":
                if stack.count == 1 { startBodies() }
            default: break
            }
        }

        private mutating func setParens(_ n: Int) {
            if case .unquoted = stack.last! { stack[stack.count - 1] = .unquoted(parens: n) }
        }

        private mutating func startBodies() {
            guard body == nil, !pending.isEmpty else { return }
            body = pending.removeFirst()
            bodyLine = ""
        }

        /// Reads `<<[-] WORD` after the `<<`; true while the character belongs to it.
        private mutating func collectRedirect(_ c: Character) -> Bool {
            var word = redirect!
            if word.isEmpty && c == "<" { redirect = nil; return true }  // `<<<`: a here-string, not a heredoc
            if word.isEmpty && c == "-" { redirect = "-"; return true }
            let started = word.contains { $0 != "-" }
            if c == " " || c == "\t" {
                if !started { return true }
            } else if !(c.isNewline || ";&|<>()".contains(c)) {
                word.append(c)
                redirect = word
                return true
            }
            // The word ended.
            redirect = nil
            let stripsTabs = word.hasPrefix("-")
            if stripsTabs { word.removeFirst() }
            let quoted = word.contains { $0 == "'" || $0 == "\"" || $0 == "\\" }
            let delimiter = String(word.filter { $0 != "'" && $0 != "\"" && $0 != "\\" })
            if !delimiter.isEmpty { pending.append(Heredoc(delimiter: delimiter, expands: !quoted, stripsTabs: stripsTabs)) }
            return false
        }
    }
}
