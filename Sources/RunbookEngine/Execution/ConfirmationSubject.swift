import Foundation
import RunbookCore

/// An action whose confirmation must name what it acts on as it is right now: which backup
/// `latest` is, when it was taken, its size, whether it was verified. The operator gate shows
/// the details under the step's `confirm:` text, the confirmation's audit line and journal
/// entry carry them (also under `--yes`), and the pinned call, with that choice fixed, is the
/// one that runs: what was confirmed is what happens, even if a newer backup lands meanwhile.
public protocol ConfirmationSubject: ExecutableAction {
    func confirmationSubject(_ call: ResolvedCall, in context: PlanContext) throws -> ConfirmedSubject
}

public struct ConfirmedSubject: Sendable {
    /// Lines shown under the `confirm:` text, e.g. `latest is /backups/x.dump, taken ... (5 h ago), 1.2 GiB, verified`.
    public var details: [String]
    /// Fields for the confirmation's audit event (e.g. `artifact`, `sha256`).
    public var data: [String: Value]
    /// The call to run once confirmed.
    public var pinned: ResolvedCall

    public init(details: [String], data: [String: Value], pinned: ResolvedCall) {
        self.details = details
        self.data = data
        self.pinned = pinned
    }
}
