import Foundation

/// One-line help for every key the loaders read, by key, from `RunbookFormat`; the JSON
/// Schema carries it so editors explain keys on hover.
enum KeyHelp {
    static let runbook = RunbookFormat.help(RunbookFormat.runbook)
    static let rto = RunbookFormat.help(RunbookFormat.rto)
    static let step = RunbookFormat.help(RunbookFormat.step)
    static let param = RunbookFormat.help(RunbookFormat.param)
    static let secret = RunbookFormat.help(RunbookFormat.secret)
    static let profile = RunbookFormat.help(RunbookFormat.profile)
}
