import Foundation
import RunbookActions
import RunbookEngine

/// The metrics file `run` and `resume` rewrite after every run that started: `--metrics-file`,
/// else the profile's `metrics` target. It holds the same inventory as `runbook info` (backup
/// directories from the newest runs' params, the offsite repository read with its access
/// credentials), plus every runbook's last run. Writing it is
/// best effort: a failure is a warning on stderr and never changes the run's exit code.
enum RunMetrics {
    static func write(after request: RunRequest, explicitPath: String?) async {
        guard let path = explicitPath ?? MetricsTarget.textfile(in: request.profile) else { return }
        let profileName = request.profile?.name
        let journals = InventoryCollector.journals(in: request.stateDirectory).filter { $0.profile == profileName }
        let locations = BackupLocations.resolve(journals: journals)
        let inventory = await InventoryCollector(locations: locations, journals: journals, profile: profileName,
                                                 offsite: OffsiteRepositoryReader(profile: request.profile)).collect()
        do {
            try MetricsFile.write(PrometheusText.render(inventory), to: path)
        } catch {
            FileHandle.standardError.write(Data("runbook: warning: metrics file \(path) not written: \(error)\n".utf8))
        }
    }
}
