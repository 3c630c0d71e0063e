import Foundation
import RunbookCore
import RunbookEngine

/// The files `restore_command = 'runbook wal-fetch --config F --identity F %f %p'` reads in a
/// recovery from the repository, written by `pitr.write-recovery-config` with `repository:`:
/// a private directory beside the data directory (never inside it: a base backup taken later
/// would carry the identity), 0700 and owned by the server user, holding the repository
/// configuration (credentials, recipients) and the identity, each 0600. The identity comes
/// from the secret, through a 0600 local file on stdin: never on argv, never in
/// postgresql.auto.conf (which names only the file). `pitr.recover` removes the directory once
/// the server is promoted (`forget_wal_fetch`).
struct WALFetchFiles {
    static let inputs = [
        InputSpec("repository", .target(.repository), "Recover with `runbook wal-fetch` from this repository instead of copying from archive_dir."),
        InputSpec("identity", .secret, "With repository: the age identity file's text, as `${secrets.NAME}`, written 0600 for wal-fetch and removed after the recovery."),
        InputSpec("runbook_binary", .path, default: .string("/usr/local/bin/runbook"), "With repository: the `runbook` binary the server runs as restore_command."),
    ]

    let directory: String
    let binary: String
    var configPath: String { directory + "/wal-repository.json" }
    var identityPath: String { directory + "/identity.txt" }

    init?(_ call: ResolvedCall, _ server: PITRServer) throws {
        guard call.has("repository") else { return nil }
        guard call.has("identity") else { throw ActionInputError.missing("identity") }
        let data = try server.dataDir()
        directory = Self.directory(data: data, runID: server.runID)
        binary = try call.string("runbook_binary")
        try ArchiveCommands.validate(archiveDir: binary, input: "runbook_binary")
    }

    /// `<data_dir>.wal-fetch-<run id>`: beside the data directory, named by the run, so
    /// `pitr.recover` of the same run finds and removes it.
    static func directory(data: String, runID: String) -> String { data + ".wal-fetch-" + DataDirectory.safe(runID) }

    var restoreCommand: String { "\(binary) wal-fetch --config \(configPath) --identity \(identityPath) %f %p" }

    /// The commands, in order, each with what it does for a failure message.
    func commands(_ server: PITRServer, owner: String, configFile: String, identityFile: String) -> [(CommandLine, String)] {
        [(server.onHost([binary, "--version"], as: owner, serverStopped: true), "running \(binary) as the server user \(owner)"),
         (server.onHost(["mkdir", "-m", "0700", "--", directory], as: owner, serverStopped: true), "creating \(directory) (it must not exist yet)"),
         (PrivateFile.write(configPath, server, as: owner, stdinFile: configFile, serverStopped: true), "writing the repository configuration \(configPath)"),
         (PrivateFile.write(identityPath, server, as: owner, stdinFile: identityFile, serverStopped: true), "writing the identity file \(identityPath)")]
    }

    func planned(_ call: ResolvedCall, _ server: PITRServer, owner: String) throws -> [PlannedOperation] {
        var ops: [PlannedOperation] = []
        for (index, (command, _)) in commands(server, owner: owner, configFile: "<0600 local file>", identityFile: "<0600 local file>").enumerated() {
            if index == 2 { ops.append(.builtin("stdin of the write below: the repository configuration for \(try BaseBackupOffsite.location(call)) (credentials, recipients; no identity), from a 0600 temporary file")) }
            if index == 3 { ops.append(.builtin("stdin of the write below: \(RepositoryRestoreInputs.identityName(call)), from a 0600 temporary file; it is never on a command line or in postgresql.auto.conf, and pitr.recover removes \(directory) after the promotion")) }
            ops.append(.command(command))
        }
        return ops
    }

    /// Writes both files; the local copies live in the action's private scratch directory.
    func write(_ call: ResolvedCall, _ server: PITRServer, owner: String, _ run: PITRRun) async throws {
        guard case .secret(let name)? = call.inputs["identity"], let text = run.context.secrets[name] else {
            throw ActionInputError.invalid("identity", "must be an available secret, written ${secrets.NAME}")
        }
        _ = try AgeIdentityFile.parse(text, path: "secret \(name)")
        let config = try BaseBackupOffsite.config(call, run.context)
        let configFile = try run.scratchFile("wal-repository.json", String(decoding: try WALCommandFiles.render(config), as: UTF8.self))
        let identityFile = try run.scratchFile("identity.txt", text)
        for (command, what) in commands(server, owner: owner, configFile: configFile, identityFile: identityFile) {
            try await run.must(command, what)
        }
    }
}
