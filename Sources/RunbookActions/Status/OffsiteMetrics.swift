import Foundation

/// The offsite repository's series in the metrics file. Like the local ones they are
/// timestamps, not ages. `runbook_offsite_up` says whether the repository was read at all:
/// when it was not, the other offsite series are absent, and an alert on their age alone would
/// go quiet exactly when the repository is lost, so alerts.yml also fires on `up == 0`.
enum OffsiteMetrics {
    static func families(_ offsite: OffsiteRepositoryState) -> [PrometheusText.Family] {
        var families: [PrometheusText.Family] = []
        func family(_ name: String, _ help: String, _ samples: [([String: String], Double)]) {
            families.append(PrometheusText.Family(name: name, help: help, samples: samples))
        }
        family("runbook_offsite_repository_configured", "1 if the profile has an offsite repository target, else 0.",
               [([:], offsite.configured ? 1 : 0)])
        guard offsite.configured else { return families }
        family("runbook_offsite_up", "1 if the offsite repository answered and its manifests were read, else 0.",
               [([:], offsite.readable ? 1 : 0)])
        let dbs = offsite.databases
        family("runbook_offsite_backup_timestamp_seconds", "When the database's newest verified dump in the offsite repository finished.",
               PrometheusText.byDatabase(dbs) { $0.newest?.finishedAt.timeIntervalSince1970 })
        family("runbook_offsite_backup_size_bytes", "Plaintext size of the database's newest verified dump in the offsite repository.",
               PrometheusText.byDatabase(dbs) { $0.newest.map { Double($0.sizeBytes) } })
        family("runbook_offsite_backups_kept", "Dumps of the database the offsite repository lists.",
               PrometheusText.byDatabase(dbs) { Double($0.kept) })
        family("runbook_offsite_verified", "1 if the newest offsite dump of the database passed a restore test, else 0.",
               PrometheusText.byDatabase(dbs) { db in
                   db.newest.map { newest in db.lastRestoreTest.map { $0.artifact == newest.path && $0.passed } == true ? 1 : 0 }
               })
        family("runbook_offsite_last_restore_test_timestamp_seconds", "When the newest restore test of an offsite copy of the database ran.",
               PrometheusText.byDatabase(dbs) { $0.lastRestoreTest?.at.timeIntervalSince1970 })
        family("runbook_offsite_last_restore_test_success", "1 if that restore test passed, else 0.",
               PrometheusText.byDatabase(dbs) { $0.lastRestoreTest.map { $0.passed ? 1 : 0 } })
        family("runbook_offsite_roles_dump_timestamp_seconds", "When the newest roles dump in the offsite repository finished.",
               offsite.globals?.newest.map { [([:], $0.finishedAt.timeIntervalSince1970)] } ?? [])
        if let media = offsite.media {
            family("runbook_offsite_media_objects", "Media objects in the offsite repository.", [([:], Double(media.objects))])
            family("runbook_offsite_media_size_bytes", "Plaintext bytes of the media objects in the offsite repository.",
                   [([:], Double(media.totalBytes))])
            family("runbook_offsite_media_timestamp_seconds", "When the newest media name index was pushed (the last mirror run's end).",
                   media.lastPushAt.map { [([:], $0.timeIntervalSince1970)] } ?? [])
        }
        if let wal = offsite.wal {
            family("runbook_offsite_wal_segments", "WAL segments in the offsite repository.", [([:], Double(wal.segments))])
            family("runbook_offsite_wal_last_segment_timestamp_seconds", "When the newest WAL segment reached the offsite repository.",
                   wal.lastArchivedAt.map { [([:], $0.timeIntervalSince1970)] } ?? [])
        }
        if let base = offsite.baseBackups {
            family("runbook_offsite_base_backups", "Complete base backups in the offsite repository, by whether its WAL can bring them to consistency.",
                   [(["usable": "true"], Double(base.recoverable)), (["usable": "false"], Double(base.complete - base.recoverable))])
            family("runbook_offsite_base_backups_incomplete", "Base backup pushes to the offsite repository that never finished (the next retention deletes them).",
                   [([:], Double(base.incomplete.count))])
            family("runbook_offsite_base_backup_timestamp_seconds", "When the newest complete base backup in the offsite repository stopped.",
                   base.newestStoppedAt.map { [([:], $0.timeIntervalSince1970)] } ?? [])
            family("runbook_offsite_base_backup_size_bytes", "Plaintext size of the newest complete base backup in the offsite repository.",
                   base.newest.map { [([:], Double($0.sizeBytes))] } ?? [])
        }
        return families
    }
}
