import ArgumentParser
import Foundation
import RunbookActions
import RunbookCore
import RunbookEngine

/// `runbook info --profile P`: are we safe right now? The state of every backup of a profile,
/// read from manifests, the base-backup catalog, the WAL archive, the media mirror's manifest
/// and the journals; the database server need not be up. With thresholds it is a check.
struct InfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show the state of every backup of a profile; with --max-age etc., check it.",
        discussion: """
        Per database: the newest verified dump (time, age, size, format), its checksum, the \
        newest restore test and the restore time it showed, how many dumps are kept; the roles \
        dumps; the WAL archive (newest segment and its age, gaps, each base backup and the WAL \
        that covers it); the media mirror; the offsite repository (read with its access \
        credentials only, never the identity: dumps, roles, media, WAL, base backups and the WAL that covers the newest); each runbook's last run.

        Directories come from the flags, else from the params of the newest run of this \
        profile that used them (in the state directory), else from the shipped runbooks' \
        defaults; the output says which. Paths are read on this host: for a compose \
        deployment pass the host paths of the volumes.

        An offsite repository that cannot be read (unreachable, credentials rejected or not \
        set) is listed under problems; with --max-offsite-age it breaks that threshold.

        Exit codes: 0 every threshold given holds; 1 invalid profile; 6 a threshold is broken; 64 usage error.
        """
    )

    @Option(help: ArgumentHelp("A profile name (profiles/NAME.yaml) or a file.", valueName: "NAME|FILE"))
    var profile: String

    @OptionGroup var location: WorkspaceOptions

    @Option(name: .customLong("state-dir"), help: "State directory whose journals to read.")
    var stateDir: String?

    @Option(help: "text for people, json for machines.")
    var format: RunOutputFormat = .text

    @Option(name: .customLong("backup-dir"), help: ArgumentHelp("Dumps and manifest.json (backup's backup_dir).", valueName: "DIR"))
    var backupDir: String?

    @Option(name: .customLong("base-backup-dir"), help: ArgumentHelp("Base backups and catalog.json (base-backup's backup_dir).", valueName: "DIR"))
    var baseBackupDir: String?

    @Option(name: .customLong("wal-archive"), help: ArgumentHelp("The WAL archive (archive_dir).", valueName: "DIR"))
    var walArchive: String?

    @Option(name: .customLong("media-dir"), help: ArgumentHelp("The media mirror's root, holding media/manifest.json (media-backup's backup_dir).", valueName: "DIR"))
    var mediaDir: String?

    @Option(name: .customLong("max-age"), help: ArgumentHelp("Fail (exit 6) if a database's newest verified dump, or the roles dump, is older.", valueName: "DURATION"))
    var maxAge: String?

    @Option(name: .customLong("max-restore-test-age"), help: ArgumentHelp("Fail (exit 6) if a database's newest restore test is older, failed, or missing.", valueName: "DURATION"))
    var maxRestoreTestAge: String?

    @Option(name: .customLong("max-wal-lag"), help: ArgumentHelp("Fail (exit 6) if the newest archived WAL segment is older, or the archive has a gap.", valueName: "DURATION"))
    var maxWALLag: String?

    @Option(name: .customLong("max-offsite-age"), help: ArgumentHelp("Fail (exit 6) if the offsite repository cannot be read, or a database's (or the roles') newest verified dump there is older.", valueName: "DURATION"))
    var maxOffsiteAge: String?

    func run() async throws {
        let thresholds = InventoryThresholds(maxBackupAge: try Self.duration(maxAge, "--max-age"),
                                             maxRestoreTestAge: try Self.duration(maxRestoreTestAge, "--max-restore-test-age"),
                                             maxWALLag: try Self.duration(maxWALLag, "--max-wal-lag"),
                                             maxOffsiteAge: try Self.duration(maxOffsiteAge, "--max-offsite-age"))
        let loaded = location.workspace.loadProfile(profile)
        guard let profile = loaded.profile, !loaded.diagnostics.hasErrors else {
            report(loaded.diagnostics, sources: loaded.sources)
            throw RunbookExitCode.invalid.exitCode
        }
        let journals = InventoryCollector.journals(in: StateDirectory.resolve(stateDir)).filter { $0.profile == profile.name }
        let locations = BackupLocations.resolve(dumps: backupDir, baseBackups: baseBackupDir, walArchive: walArchive, media: mediaDir,
                                                journals: journals)
        let inventory = await InventoryCollector(locations: locations, journals: journals, profile: profile.name,
                                                 offsite: OffsiteRepositoryReader(profile: profile)).collect()
        let breaches = thresholds.breaches(of: inventory)
        print(format == .json ? try inventory.json(breaches: breaches) : InventoryText.render(inventory, breaches: breaches))
        if !breaches.isEmpty { throw RunbookExitCode.thresholdBroken.exitCode }
    }

    static func duration(_ text: String?, _ flag: String) throws -> Double? {
        guard let text else { return nil }
        guard let seconds = RunbookCore.Duration.parseSeconds(text) else {
            throw ValidationError("\(flag): \"\(text)\" is not a duration like 26h, 35d or 5m")
        }
        return seconds
    }
}
