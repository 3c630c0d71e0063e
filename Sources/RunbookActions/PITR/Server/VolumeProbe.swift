import RunbookCore

/// For `via: compose`: whether a directory the running server's container writes to is also
/// seen by a one-off container of the service, i.e. lies on a volume. What is written to the
/// container's own writable layer vanishes when the container is recreated, and a recovery
/// unpacks the base backup in a one-off container (the server's is stopped), so backups and
/// the WAL archive must be on volumes. A probe file is created through `exec`, looked for
/// through `run`, and removed.
struct VolumeProbe {
    let server: PITRServer
    let directory: String

    var probe: String { ArchiveCommands.trimmed(directory) + "/.runbook-volume-probe-" + DataDirectory.safe(server.runID) }
    var create: CommandLine { server.onHost(["touch", "--", probe]) }
    var lookFromOneOff: CommandLine { server.onHost(["test", "-f", probe], serverStopped: true) }
    var remove: CommandLine { server.onHost(["rm", "-f", "--", probe]) }

    var planned: [PlannedOperation] {
        guard server.isCompose else { return [] }
        return [.builtin("\(directory) must be on a volume a one-off container sees:"),
                .command(create), .command(lookFromOneOff), .command(remove)]
    }

    /// Fails with `why` and advice unless the directory is shared; nothing to do locally.
    func require(_ run: PITRRun, _ why: String) async throws {
        guard let (_, service) = server.compose else { return }
        try await run.must(create, "creating a probe file in \(directory)", timeout: 60)
        let seen = try await run.attempt(lookFromOneOff, timeout: 120)
        _ = try? await run.attempt(remove, timeout: 60)
        if seen.succeeded { return }
        // test(1) says 1 for "no such file"; anything else is docker failing to run it.
        guard seen.status == .exited(1) else {
            throw PITRFailure(PITRRun.describe("looking for the probe file from a one-off container", lookFromOneOff, seen))
        }
        throw PITRFailure("\(directory) is not on a volume of \(service): a one-off container of the service does not see it, \(why); mount a volume there (docker-compose.yml `volumes:`)")
    }
}
