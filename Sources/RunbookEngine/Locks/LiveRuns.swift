import Foundation

/// The runs alive right now on this host, from the lock files every run writes its holder into
/// (`<state>/locks/<NAME>.lock`): a holder counts when its pid is alive and started when the
/// lock file says it did, so neither a run killed with SIGKILL nor a reused pid passes for live.
/// A holder on another host (a shared state directory) cannot be checked and counts as live.
/// Read without taking any lock, so asking never delays a run that is starting.
public enum LiveRuns {
    public static func ids(stateDirectory: String) -> Set<String> {
        let locks = StateDirectory(root: stateDirectory).locksDirectory
        var ids: Set<String> = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: locks)) ?? [] where name.hasSuffix(".lock") {
            let fd = open((locks as NSString).appendingPathComponent(name), O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            let holder = RunLock.readHolder(fd)
            close(fd)
            guard let holder, isAlive(holder) else { continue }
            ids.insert(holder.runID)
        }
        return ids
    }

    static func isAlive(_ holder: LockHolder) -> Bool {
        guard holder.host == Identity.host else { return true }
        guard let stat = ProcStat(pid: holder.pid), stat.isAlive else { return false }
        return holder.processStart.map { $0 == stat.startTime } ?? true
    }
}
