// The repository's push and pull as a process of their own, for benchmarks/repository/throughput.sh:
// the same RepositoryStore code the actions run, timed from outside like `rclone copyto`.
//
//   repo-bench push NAME FILE        encrypt FILE into the repository as NAME
//   repo-bench pull NAME FILE        download, decrypt and verify NAME into FILE
//
// The repository comes from the environment (credentials never on argv): REPO_BENCH_ENDPOINT,
// REPO_BENCH_BUCKET, REPO_BENCH_ACCESS_KEY, REPO_BENCH_SECRET_KEY, REPO_BENCH_RECIPIENT, and
// REPO_BENCH_IDENTITY_FILE (pull).
import Foundation
import RunbookActions

func environment(_ name: String) -> String {
    guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
        FileHandle.standardError.write(Data("repo-bench: \(name) is not set\n".utf8))
        exit(2)
    }
    return value
}

let arguments = CommandLine.arguments
guard arguments.count == 4, ["push", "pull"].contains(arguments[1]) else {
    FileHandle.standardError.write(Data("usage: repo-bench push|pull NAME FILE\n".utf8))
    exit(2)
}
let (command, name, path) = (arguments[1], arguments[2], arguments[3])
let config = RepositoryConfig(endpoint: environment("REPO_BENCH_ENDPOINT"), accessKey: environment("REPO_BENCH_ACCESS_KEY"),
                              secretKey: environment("REPO_BENCH_SECRET_KEY"), bucket: environment("REPO_BENCH_BUCKET"),
                              prefix: "bench/", recipients: [environment("REPO_BENCH_RECIPIENT")])
do {
    let store = try RepositoryStore(config: config)
    let entry: RepositoryStore.Pushed
    if command == "push" {
        guard let input = FileHandle(forReadingAtPath: path) else { throw CocoaError(.fileReadNoSuchFile) }
        entry = try await store.push(name: name, from: input)
    } else {
        entry = try await store.pull(name: name, to: path, identities: try AgeIdentityFile.load(path: environment("REPO_BENCH_IDENTITY_FILE")))
    }
    await store.shutdown()
    print("\(command) \(name): \(entry.plaintextSize) bytes, sha256 \(entry.plaintextSHA256)")
} catch {
    FileHandle.standardError.write(Data("repo-bench: \(error)\n".utf8))
    exit(1)
}
