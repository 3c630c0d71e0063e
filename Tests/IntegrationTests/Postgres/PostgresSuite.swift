import Foundation
import RunbookEngine
import XCTest

/// Base class for suites sharing one throwaway cluster with the AqStream databases.
/// The cluster starts in `setUp` of the first test and stops in the class `tearDown`,
/// which XCTest calls even when tests fail.
class PostgresSuite: XCTestCase {
    nonisolated(unsafe) static var clusters: [ObjectIdentifier: PostgresCluster] = [:]
    nonisolated(unsafe) static var setupErrors: [ObjectIdentifier: String] = [:]

    /// Rows in event_service.events; suites that need a bigger database override it.
    class var eventRows: Int { 5_000 }
    class var pgbenchScale: Int { 1 }

    var cluster: PostgresCluster!
    var harness: PostgresActionHarness!
    var backups = ""

    override func setUpWithError() throws {
        let key = ObjectIdentifier(type(of: self))
        if let error = Self.setupErrors[key] { throw PostgresCluster.HarnessError(description: error) }
        if Self.clusters[key] == nil {
            do {
                let c = try PostgresCluster()
                Self.clusters[key] = c
                try c.createAqStreamDatabases(events: Self.eventRows, pgbenchScale: Self.pgbenchScale)
            } catch {
                Self.setupErrors[key] = "\(error)"
                throw error
            }
        }
        cluster = Self.clusters[key]
        harness = PostgresActionHarness(cluster: cluster, processes: Self.makeRunner())
        backups = cluster.root + "/backups-" + UUID().uuidString.prefix(8)
    }

    override class func tearDown() {
        clusters.removeValue(forKey: ObjectIdentifier(self))?.stop()
        super.tearDown()
    }

    /// The process runner every test uses.
    static func makeRunner() -> any ProcessRunning {
        ProcessRunner()
    }
}
