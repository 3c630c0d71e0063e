import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Signals, inspects and reaps a child's process group.
///
/// Every child runs in its own group (its pid is the group id), so one
/// `kill(-pgid, ...)` reaches the shell and everything it started. The group is
/// inspected through `/proc` rather than `kill(-pgid, 0)`, because a member that
/// has exited but not been reaped (a zombie) still answers `kill` yet is not alive.
public enum ProcessGroup {
    /// Makes this process the reaper of its orphaned descendants, so that
    /// grandchildren left behind by a killed shell are reaped by us (see `reap`)
    /// instead of lingering as zombies under an init that may not reap them.
    public static func adoptOrphans() {
        #if os(Linux)
        _ = linux_prctl(36 /* PR_SET_CHILD_SUBREAPER */, 1, 0, 0, 0)
        #endif
    }

    /// Pids of live (non-zombie) processes whose process group is `pgid`.
    public static func liveMembers(_ pgid: pid_t) -> [pid_t] {
        guard pgid > 0, let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var out: [pid_t] = []
        for entry in entries {
            guard let pid = pid_t(entry), let stat = ProcStat(pid: pid) else { continue }
            if stat.processGroup == pgid && stat.isAlive { out.append(pid) }
        }
        return out
    }

    public static func isAlive(_ pgid: pid_t) -> Bool { !liveMembers(pgid).isEmpty }

    /// Sends `signal` to every member of the group; false when the group is gone.
    @discardableResult
    public static func signal(_ pgid: pid_t, _ signal: Int32) -> Bool {
        guard pgid > 1 else { return false }
        return kill(-pgid, signal) == 0
    }

    /// Reaps exited members of the group that were re-parented to us.
    public static func reap(_ pgid: pid_t) {
        guard pgid > 1 else { return }
        var status: Int32 = 0
        while waitpid(-pgid, &status, WNOHANG) > 0 {}
    }

    /// Stops whatever is left of the group: SIGTERM, then SIGKILL, with `grace`
    /// seconds between them, then reaps the dead until the group is gone
    /// entirely — members killed together die as children of each other and
    /// reach us (the subreaper) only as their parents exit, so one pass is not enough.
    public static func terminate(_ pgid: pid_t, grace: Double, startingWith first: Int32 = SIGTERM) async {
        let sequence: [Int32] = first == SIGKILL ? [SIGKILL] : first == SIGTERM ? [SIGTERM, SIGKILL] : [first, SIGTERM, SIGKILL]
        for sig in sequence {
            reap(pgid)
            guard isAlive(pgid) else { break }
            signal(pgid, sig)
            // A stopped member would never act on SIGTERM.
            if sig != SIGKILL { signal(pgid, SIGCONT) }
            if await waitUntilGone(pgid, timeout: grace) { break }
        }
        await reapUntilEmpty(pgid, timeout: max(grace, 1))
    }

    /// Polls until the group has no live member; true if it emptied in time.
    public static func waitUntilGone(_ pgid: pid_t, timeout: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var delay: UInt64 = 2_000_000
        while Date() < deadline {
            reap(pgid)
            if !isAlive(pgid) { return true }
            try? await Task.sleep(nanoseconds: delay)
            delay = min(delay * 2, 50_000_000)
        }
        reap(pgid)
        return !isAlive(pgid)
    }

    /// Reaps members as they become ours, until no process (not even a zombie) is in the group.
    static func reapUntilEmpty(_ pgid: pid_t, timeout: Double) async {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            reap(pgid)
            if kill(-pgid, 0) != 0 && errno == ESRCH { return }
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
    }
}

#if os(Linux)
/// glibc's `prctl`, which the Glibc module does not export. Its integer arguments
/// are passed the same way whether or not the callee is variadic on Linux's ABIs.
@_silgen_name("prctl")
private func linux_prctl(_ option: Int32, _ a2: UInt, _ a3: UInt, _ a4: UInt, _ a5: UInt) -> Int32
#endif

/// The few fields of `/proc/PID/stat` the engine needs.
public struct ProcStat: Sendable {
    public var pid: pid_t
    public var state: Character
    public var processGroup: pid_t
    /// Clock ticks since boot when the process started: with the pid, identifies it across pid reuse.
    public var startTime: UInt64

    public init?(pid: pid_t) {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        // The command name is in parentheses and may itself contain spaces or parentheses.
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] = state (field 3), fields[2] = pgrp (field 5), fields[19] = starttime (field 22)
        guard fields.count > 19, let st = fields[0].first, let pgrp = pid_t(fields[2]), let start = UInt64(fields[19]) else { return nil }
        self.pid = pid
        self.state = st
        self.processGroup = pgrp
        self.startTime = start
    }

    /// Zombies (`Z`) and dead (`X`) entries are not running anything.
    public var isAlive: Bool { state != "Z" && state != "X" }
}
