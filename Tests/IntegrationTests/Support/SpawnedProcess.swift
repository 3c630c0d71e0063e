import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a process to completion for test harnesses: posix_spawn, output into temporary
/// files (no pipes a daemonising child could keep open), and a blocking `waitpid` on that
/// pid. Foundation's `Process.waitUntilExit` was seen to hang here after `pg_ctl start`
/// (the child became a zombie nobody reaped).
enum SpawnedProcess {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ argv: [String], environment: [String: String], cwd: String = "/") throws -> Output {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("spawn-" + UUID().uuidString).path
        let outPath = scratch + ".out", errPath = scratch + ".err"
        defer {
            unlink(outPath)
            unlink(errPath)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // env -C: the working directory, since glibc's addchdir_np is not visible to Swift.
        let fullArgv = ["/usr/bin/env", "-C", cwd] + argv
        let cArgs = fullArgv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/usr/bin/env", &actions, nil, cArgs, cEnv)
        guard spawned == 0 else { throw PITRCluster.HarnessError(description: "posix_spawn \(argv.first ?? ""): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw PITRCluster.HarnessError(description: "waitpid: \(String(cString: strerror(errno)))") }
        }
        let exited = status & 0x7f == 0
        let code = exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return Output(status: code, stdout: out, stderr: err)
    }
}
