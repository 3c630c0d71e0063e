import Foundation
import RunbookCore
import XCTest

/// Not a test: the driver `benchmarks/s3/bench.sh` runs (as the xctest binary, under
/// `/usr/bin/time -v`) to time one `s3.mirror` and measure its peak RSS, until the `runbook`
/// CLI can run a step by itself. Without its RUNBOOK_S3_BENCH_* variables it reports
/// itself skipped, never passed. The secret comes through the environment, not argv.
final class S3BenchmarkDriver: XCTestCase {
    func testMirrorOnce() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let endpoint = env["RUNBOOK_S3_BENCH_ENDPOINT"], let access = env["RUNBOOK_S3_BENCH_ACCESS_KEY"],
              let secret = env["RUNBOOK_S3_BENCH_SECRET_KEY"], let from = env["RUNBOOK_S3_BENCH_FROM"],
              let to = env["RUNBOOK_S3_BENCH_TO"] else {
            throw XCTSkip("driver for benchmarks/s3/bench.sh: needs RUNBOOK_S3_BENCH_{ENDPOINT,ACCESS_KEY,SECRET_KEY,FROM,TO}")
        }
        let caller = S3ActionCaller(endpoint: endpoint, accessKey: access, secretKey: secret)
        var inputs: [String: Value] = ["from": .string(from), "to": .string(to)]
        if let parallel = env["RUNBOOK_S3_BENCH_PARALLEL"].flatMap(Int.init) { inputs["parallel"] = .int(parallel) }
        let started = DispatchTime.now()
        let result = try await caller.run("s3.mirror", inputs)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        try S3Assert.succeeded(result)
        print("RUNBOOK_S3_BENCH action_seconds=\(String(format: "%.3f", seconds)) copied=\(result.outputInt("copied") ?? -1) bytes=\(result.outputInt("bytes") ?? -1)")
    }
}
