import Foundation

/// A `${...}` in shell text (an input of type `shell`, such as `shell.run`'s `command:`)
/// inside quotes the author wrote, or in a here-document: places where quoting cannot help.
///
/// `/bin/sh` itself never runs a value (it gets an environment variable's expansion, see
/// `ShellText`). But quoted text and here-documents are usually code for another program:
/// `sh -c '...'`, `ssh host "..."`, `psql -c "... '${x}'"`, `psql <<EOF`. That program
/// parses the value, and a `'` or `;` in it changes what runs. The same hole GitHub
/// Actions has ("script injection"), which actionlint reports the same way.
public struct ShellInterpolationRule: Rule {
    public let name = RuleID.shellInterpolation
    public init() {}

    public func check(_ runbook: Runbook, in context: RuleContext) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for site in context.facts(for: runbook).templateSites {
            guard case .input(let call, let input, .whole) = site.place,
                  context.spec(call.call.name)?.input(input)?.type == .shell,
                  case .success(let template) = site.parsed else { continue }
            let contexts = ShellLexer.contexts(of: template)
            for (reference, shellContext) in zip(site.references, contexts) {
                guard case let (problem, advice)? = Self.explain(shellContext) else { continue }
                let written = "${\(reference.reference)\(reference.format.map { "|" + $0 } ?? "")}"
                out.append(Diagnostic(.warning, rule: name, message: "\(written) is \(problem)",
                                      at: reference.location, length: reference.length, notes: [advice]))
            }
        }
        return out
    }

    static func explain(_ context: ShellContext) -> (String, String)? {
        switch context {
        case .unquoted:
            return nil
        case .singleQuoted, .doubleQuoted:
            return ("inside quotes in shell text: if the quoted text is run again (sh -c, ssh, su -c, psql -c), the value is code there",
                    "write it outside the quotes, where /bin/sh gets it as one word, and hand it to the inner program as an argument or environment variable")
        case .heredoc(expands: true):
            return ("in a here-document: the program reading it (psql, sh, ...) gets the value as part of its own code",
                    "pass the value as an argument or environment variable of that program (psql -v NAME=..., then :'NAME')")
        case .heredoc(expands: false):
            return ("in a here-document with a quoted delimiter: the shell does not expand it, so the value never arrives",
                    "unquote the delimiter, or pass the value as an argument or environment variable of the program reading it")
        }
    }
}
