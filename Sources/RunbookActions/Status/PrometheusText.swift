import Foundation

/// The inventory in the Prometheus text exposition format, for node-exporter's textfile
/// collector. Times are exported as `_timestamp_seconds`, not as ages: a file written by the
/// last run would otherwise show the age at that run forever, and a backup that stopped
/// running would look fresh. Alerts compute the age as `time() - metric`.
public enum PrometheusText {
    public static func render(_ inv: BackupInventory) -> String {
        var families: [Family] = []
        func family(_ name: String, _ help: String, _ samples: [([String: String], Double)]) {
            families.append(Family(name: name, help: help, samples: samples))
        }
        let runs = inv.runs
        family("runbook_last_run_timestamp_seconds", "When the newest run of the runbook started.",
               runs.map { (["runbook": $0.runbook], $0.startedAt.timeIntervalSince1970) })
        family("runbook_last_run_duration_seconds", "How long the newest run of the runbook took.",
               runs.map { (["runbook": $0.runbook], $0.durationSeconds) })
        family("runbook_last_run_success", "1 if the newest run of the runbook succeeded, else 0.",
               runs.map { (["runbook": $0.runbook], $0.status == "succeeded" ? 1 : 0) })
        family("runbook_last_run_status", "The newest run's status, as a label (value always 1).",
               runs.map { (["runbook": $0.runbook, "status": $0.status], 1) })
        let rtos = runs.filter { $0.rtoSeconds != nil }
        family("runbook_rto_achieved_seconds", "The recovery time the newest run of the runbook achieved.",
               rtos.map { (["runbook": $0.runbook], $0.rtoSeconds ?? 0) })
        family("runbook_rto_objective_seconds", "The runbook's recovery time objective.",
               rtos.map { (["runbook": $0.runbook], $0.rtoTargetSeconds ?? 0) })
        family("runbook_rto_met", "1 if the newest run met its recovery time objective, else 0.",
               rtos.map { (["runbook": $0.runbook], $0.rtoMet == true ? 1 : 0) })

        let dbs = inv.databases
        family("runbook_backup_newest_timestamp_seconds", "When the database's newest verified dump finished.",
               byDatabase(dbs) { $0.newest?.finishedAt.timeIntervalSince1970 })
        family("runbook_backup_newest_size_bytes", "Size of the database's newest verified dump.",
               byDatabase(dbs) { $0.newest.map { Double($0.sizeBytes) } })
        family("runbook_backups_kept", "Dumps of the database the manifest keeps.",
               byDatabase(dbs) { Double($0.kept) })
        family("runbook_backup_last_checksum_timestamp_seconds", "When the newest dump's sha256 and read-back check passed.",
               byDatabase(dbs) { $0.lastChecksum?.timeIntervalSince1970 })
        family("runbook_backup_last_restore_test_timestamp_seconds", "When the database's newest restore test ran.",
               byDatabase(dbs) { $0.lastRestoreTest?.at.timeIntervalSince1970 })
        family("runbook_backup_last_restore_test_success", "1 if the newest restore test passed, else 0.",
               byDatabase(dbs) { $0.lastRestoreTest.map { $0.passed ? 1 : 0 } })
        family("runbook_backup_last_restore_test_duration_seconds", "How long the newest restore test's restore took (its RTO evidence).",
               byDatabase(dbs) { $0.lastRestoreTest?.restoreSeconds })
        family("runbook_roles_dump_newest_timestamp_seconds", "When the newest roles dump (pg_dumpall --globals-only) finished.",
               inv.globals?.newest.map { [([:], $0.finishedAt.timeIntervalSince1970)] } ?? [])

        if let wal = inv.walArchive {
            family("runbook_wal_archive_last_segment_timestamp_seconds", "When the newest WAL segment was archived; the archive lag is time() minus this.",
                   wal.lastArchivedAt.map { [([:], $0.timeIntervalSince1970)] } ?? [])
            family("runbook_wal_archive_segments", "WAL segments in the archive.", [([:], Double(wal.segments))])
            family("runbook_wal_archive_gaps", "Missing WAL segments inside the archive's newest timeline (at most 10 counted).", [([:], Double(wal.gaps.count))])
            family("runbook_base_backups", "Base backups in the catalog, by whether the archive can bring them to consistency.",
                   [(["usable": "true"], Double(wal.baseBackups.filter(\.usable).count)),
                    (["usable": "false"], Double(wal.baseBackups.filter { !$0.usable }.count))])
        }
        if let media = inv.media {
            family("runbook_media_mirror_objects", "Objects in the media mirror's manifest.", [([:], Double(media.objects))])
            family("runbook_media_mirror_size_bytes", "Bytes in the media mirror's manifest.", [([:], Double(media.totalBytes))])
            family("runbook_media_mirror_timestamp_seconds", "When the media mirror's manifest was written.",
                   media.createdAt.map { [([:], $0.timeIntervalSince1970)] } ?? [])
        }
        families += OffsiteMetrics.families(inv.offsite)
        family("runbook_metrics_timestamp_seconds", "When runbook wrote this file.", [([:], inv.generatedAt.timeIntervalSince1970)])

        let profile = inv.profile.map { ["profile": $0] } ?? [:]
        return families.filter { !$0.samples.isEmpty }.map { $0.text(constantLabels: profile) }.joined()
    }

    /// One sample per database that has a value, labelled `database`.
    static func byDatabase(_ databases: [DatabaseBackups], _ value: (DatabaseBackups) -> Double?) -> [([String: String], Double)] {
        databases.compactMap { db in value(db).map { (["database": db.database], $0) } }
    }

    struct Family {
        var name: String
        var help: String
        var samples: [([String: String], Double)]

        func text(constantLabels: [String: String]) -> String {
            var out = "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
            for (labels, value) in samples {
                let all = labels.merging(constantLabels) { own, _ in own }
                let rendered = all.keys.sorted().map { "\($0)=\"\(PrometheusText.escape(all[$0] ?? ""))\"" }.joined(separator: ",")
                out += name + (rendered.isEmpty ? "" : "{\(rendered)}") + " " + PrometheusText.number(value) + "\n"
            }
            return out
        }
    }

    /// Label values escape backslash, double quote and newline.
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Integers without a fraction, others with millisecond precision.
    static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(format: "%.3f", v)
    }
}

/// Writes the metrics file the way textfile collectors need: a temporary file in the same
/// directory (a name node-exporter ignores, it reads only `*.prom`), fsynced, then renamed over
/// the old one, so a scrape sees the old file or the new one, never half of one.
public enum MetricsFile {
    public static func write(_ text: String, to path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        let temporary = (dir as NSString).appendingPathComponent(".\((path as NSString).lastPathComponent).\(getpid()).tmp")
        try DurableFiles.writeAndSync(Data(text.utf8), to: temporary)
        do {
            try DurableFiles.rename(temporary, to: path)
        } catch {
            unlink(temporary)
            throw error
        }
    }
}
