import Foundation
import RunbookCore

/// One run, three records: the operator's screen, the journal and the audit
/// trail. Everything goes through here, and everything is redacted here, so no
/// record can receive a secret value by a path that forgot to redact.
///
/// A journal or audit write that fails is remembered (`failure`): the
/// interpreter starts no further step once the record cannot be kept.
public final class RunRecorder: @unchecked Sendable {
    public let runID: String
    public let reporter: RunReporter
    let vault: SecretVault
    let audit: AuditLog
    let journal: JournalStore
    private let base: AuditEvent
    private let lock = NSLock()
    private var firstFailure: String?

    init(runID: String, runbook: Runbook, operatorName: String?, reporter: RunReporter, vault: SecretVault,
         audit: AuditLog, journal: JournalStore) {
        self.runID = runID
        self.reporter = reporter
        self.vault = vault
        self.audit = audit
        self.journal = journal
        base = AuditEvent(event: "", run: runID, runbook: runbook.name, runbookDigest: runbook.digest,
                          operatorName: operatorName, user: Identity.osUser, host: Identity.host)
    }

    var redactor: Redactor { vault.redactor }

    /// The first record that could not be written, if any.
    public var failure: String? {
        lock.lock()
        defer { lock.unlock() }
        return firstFailure
    }

    private func fail(_ message: String) {
        lock.lock()
        if firstFailure == nil { firstFailure = message }
        lock.unlock()
    }

    /// Shows an event on screen (redacted).
    func show(_ event: RunEvent) {
        reporter.report(Self.redact(event, redactor))
    }

    /// Appends an audit event built from the run's fixed fields (redacted).
    func audit(_ name: String, step: String? = nil, action: String? = nil, argv: [String]? = nil,
               exitStatus: Int32? = nil, status: String? = nil, duration: Double? = nil, outputBytes: Int? = nil,
               message: String? = nil, data: [String: Value]? = nil) {
        var e = base
        e.event = name
        e.step = step
        e.action = action
        e.argv = argv
        e.exitStatus = exitStatus
        e.status = status
        e.duration = duration.map { ($0 * 1000).rounded() / 1000 }
        e.outputBytes = outputBytes
        e.message = message
        e.data = data?.mapValues(PlainValue.init)
        do {
            try audit.append(e.redacted(by: redactor))
        } catch {
            fail("audit trail: \(error)")
        }
    }

    /// Changes the journal as a whole and writes a new snapshot atomically (redacted).
    func journal(durability: JournalStore.Durability = .full, _ change: (inout RunJournal) -> Void) {
        do {
            try journal.update(durability: durability, change)
        } catch {
            fail("journal: \(error)")
        }
    }

    /// Changes one step's record and appends it to the journal's log (redacted).
    func step(_ path: String, action: String?, durability: JournalStore.Durability = .data, _ change: (inout StepRecord) -> Void) {
        do {
            try journal.updateStep(path, action: action, durability: durability, change)
        } catch {
            fail("journal: \(error)")
        }
    }

    var currentJournal: RunJournal { journal.current }

    static func redact(_ event: RunEvent, _ r: Redactor) -> RunEvent {
        guard !r.isEmpty else { return event }
        let f: (String?) -> String? = { $0.map(r.redact) }
        switch event {
        case .runStarted: return event
        case .stepStarted(let p, let t): return .stepStarted(path: r.redact(p), title: f(t))
        case .stepSkipped(let p, let why): return .stepSkipped(path: r.redact(p), reason: r.redact(why))
        case .output(let p, let line): return .output(path: r.redact(p), line: r.redact(line))
        case .check(let p, let c, let ph, let ok, let m): return .check(path: r.redact(p), check: c, phase: ph, passed: ok, message: f(m))
        case .retrying(let p, let a, let o, let d, let m): return .retrying(path: r.redact(p), attempt: a, of: o, delay: d, message: f(m))
        case .stepFinished(let p, let s, let d, let m): return .stepFinished(path: r.redact(p), state: s, duration: d, message: f(m))
        case .rollbackStarted(let p): return .rollbackStarted(path: r.redact(p))
        case .rollbackFinished(let p, let ok, let d, let m): return .rollbackFinished(path: r.redact(p), succeeded: ok, duration: d, message: f(m))
        case .notice(let t): return .notice(r.redact(t))
        case .rto: return event
        case .runFinished(let id, let s, let d, let m): return .runFinished(runID: id, status: s, duration: d, message: f(m))
        }
    }
}

/// Who is running this, for the records.
public enum Identity {
    public static var osUser: String {
        if let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name { return String(cString: name) }
        return ProcessInfo.processInfo.environment["USER"] ?? "uid \(geteuid())"
    }

    public static var host: String { ProcessInfo.processInfo.hostName }
}

/// Resolved secret values and the redactor built from them. Grows when a nested
/// runbook declares secrets of its own.
final class SecretVault: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: String]
    private var cached: Redactor

    init(_ values: [String: String]) {
        self.values = values
        cached = Redactor(secrets: values)
    }

    var redactor: Redactor {
        lock.lock()
        defer { lock.unlock() }
        return cached
    }

    var all: [String: String] {
        lock.lock()
        defer { lock.unlock() }
        return values
    }

    func add(_ more: [String: String]) {
        lock.lock()
        defer { lock.unlock() }
        var changed = false
        for (k, v) in more where values[k] == nil {
            values[k] = v
            changed = true
        }
        if changed { cached = Redactor(secrets: values) }
    }
}
