import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process for test harnesses, on posix_spawn and waitpid(pid).
///
/// Foundation's `Process` detects exits through a SIGCHLD handler, which the engine's
/// process runner (swift-subprocess) replaces with its own; after that `waitUntilExit`
/// can hang forever. Waiting on the pid itself does not depend on who handles SIGCHLD.
struct ChildProcess {
    let pid: pid_t

    struct SpawnError: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts `argv` (looked up on PATH) with stdin from /dev/null and stdout/stderr appended
    /// to files (the same path for both is fine), in `/` so runuser'd children can enter it.
    /// `stdin` may be a FIFO the test writes typed answers into.
    static func spawn(_ argv: [String], environment: [String: String], stdout: String = "/dev/null",
                      stderr: String = "/dev/null", stdin: String = "/dev/null") throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if stderr == stdout {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        }
        // posix_spawn_file_actions_addchdir_np is not exported to Swift here; a shell changes directory.
        let full = ["/bin/sh", "-c", "cd / && exec \"$@\"", "sh"] + argv
        let cArgs = full.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        // The child would inherit the spawning thread's signal mask, and test threads
        // (libdispatch workers) block most signals: SIGTERM and pgbench's SIGALRM included.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/bin/sh", &actions, &attributes, cArgs, cEnv)
        guard rc == 0 else { throw SpawnError(description: "cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
        return ChildProcess(pid: pid)
    }

    /// Waits for the child; returns its exit code, or 128 + signal.
    @discardableResult
    func wait() throws -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw SpawnError(description: "waitpid(\(pid)): \(String(cString: strerror(errno)))") }
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// Sends SIGTERM and reaps the child.
    func terminate() {
        kill(pid, SIGTERM)
        _ = try? wait()
    }
}
