import Foundation
import RunbookCore

/// Confirmations of destructive steps and `manual:` checklists.
///
/// A destructive step (one with `confirm:`, or whose action is declared
/// destructive) asks the operator to type the name of what it destroys:
/// the call's `database` input when it has one, else the name of the profile
/// target it acts on, else the step's id. Typing a name, rather than "y", makes
/// the operator read which database is about to go.
///
/// Without a terminal nothing can be asked: the step is refused unless `--yes`
/// was given, in which case the confirmation or tick is recorded as automatic.
/// `--yes` also skips the questions on a terminal. Every answer is recorded with
/// the OS user, `--operator` and the time.
struct OperatorGate {
    let run: RunState

    enum Answer {
        case granted(OperatorAction)
        case refused(String)
    }

    /// The name the operator must type to confirm `call`.
    static func confirmationName(for call: ResolvedCall?, stepID: String) -> String {
        guard let call else { return stepID }
        if let db = call.inputs["database"]?.stringValue, !db.isEmpty { return db }
        for input in call.spec.inputs {
            if case .target = input.type, let decl = call.targets[input.name] { return decl.name }
        }
        return stepID
    }

    /// `details` (what the step acts on, resolved now) are shown under the message and kept
    /// in the record of the answer.
    func confirm(path: String, message: String, details: [String] = [], name: String) async -> Answer {
        let who = actor(what: "confirmed \"\(name)\": \(message)" + details.map { "; \($0)" }.joined())
        if run.options.assumeYes {
            return .granted(who(true))
        }
        guard run.prompter.isInteractive else {
            return .refused("needs confirmation (\(message)); run it on a terminal, or pass --yes")
        }
        let question = "\n⚠ \(path): \(message)\n" + details.map { "  \($0)\n" }.joined()
            + "  Type \(name) to confirm (anything else cancels): "
        guard let answer = await ask(question) else { return .refused("not confirmed") }
        guard answer.trimmingCharacters(in: .whitespaces) == name else {
            return .refused("not confirmed: typed \"\(answer)\", expected \"\(name)\"")
        }
        return .granted(who(false))
    }

    /// Asks for each checklist item in turn; stops at the first one not ticked.
    func tick(path: String, items: [String], record: (OperatorAction) -> Void) async -> String? {
        for item in items {
            let who = actor(what: item)
            if run.options.assumeYes {
                record(who(true))
                continue
            }
            guard run.prompter.isInteractive else {
                return "manual item \"\(item)\" must be ticked by a person; run it on a terminal, or pass --yes"
            }
            let answer = await ask("\n☐ \(path): \(item)\n  Press Enter when done, or type \"stop\" to stop: ")
            guard let answer, !["stop", "no", "n"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased()) else {
                return "manual item \"\(item)\" was not ticked"
            }
            record(who(false))
        }
        return nil
    }

    /// Asks with the live output paused, one question at a time.
    private func ask(_ question: String) async -> String? {
        await run.questions.withLock {
            run.recorder.reporter.pause()
            defer { run.recorder.reporter.resume() }
            return await run.prompter.ask(question)
        }
    }

    private func actor(what: String) -> (Bool) -> OperatorAction {
        let operatorName = run.options.operatorName
        return { automatic in
            OperatorAction(what: what, osUser: Identity.osUser, operatorName: operatorName, at: Date(), automatic: automatic)
        }
    }
}
