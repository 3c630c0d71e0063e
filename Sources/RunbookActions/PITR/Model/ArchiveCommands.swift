import RunbookCore

/// The server-side commands of a directory WAL archive. PostgreSQL runs them itself with
/// `/bin/sh -c` (that is how archive_command and restore_command work); runbook never does.
/// Because they are shell text, the archive path is restricted to characters that need no
/// quoting in a shell or in PostgreSQL's `%` substitution.
public enum ArchiveCommands {
    /// Absolute, and only `A-Z a-z 0-9 / . _ - + , @ =`: no spaces, quotes, `%`, `$` or globs.
    public static func validate(archiveDir dir: String, input: String = "archive_dir") throws {
        guard dir.hasPrefix("/") else { throw ActionInputError.invalid(input, "\"\(dir)\" must be an absolute path") }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+,@=")
        guard dir.allSatisfy(allowed.contains) else {
            throw ActionInputError.invalid(input, "\"\(dir)\" may contain only letters, digits and / . _ - + , @ = (the server runs archive_command through a shell)")
        }
        guard !dir.split(separator: "/").contains(".."), dir.count > 1 else {
            throw ActionInputError.invalid(input, "\"\(dir)\" must be a plain absolute directory (no \"..\", not /)")
        }
    }

    static func trimmed(_ dir: String) -> String {
        var d = dir
        while d.count > 1 && d.hasSuffix("/") { d.removeLast() }
        return d
    }

    /// Archives `%p` as `DIR/%f`, durably and without ever overwriting:
    /// - a segment already in the archive is not replaced; if its bytes equal the new one the
    ///   command succeeds (PostgreSQL may re-archive after a crash, and a stuck archiver would
    ///   fill pg_wal), otherwise it fails and the server keeps retrying and logging;
    /// - the copy goes to `%f.tmp`, is fsynced, renamed, and the directory fsynced, so a crash
    ///   never leaves a truncated segment under the final name.
    public static func archiveCommand(archiveDir: String) -> String {
        let d = trimmed(archiveDir)
        return "if [ -f \(d)/%f ]; then cmp -s %p \(d)/%f; else cp %p \(d)/%f.tmp && sync \(d)/%f.tmp && mv \(d)/%f.tmp \(d)/%f && sync \(d); fi"
    }

    /// Fetches `%f` from the archive into `%p`; a missing file makes cp fail, which
    /// PostgreSQL takes as "end of the archive".
    public static func restoreCommand(archiveDir: String) -> String {
        "cp \(trimmed(archiveDir))/%f %p"
    }
}
