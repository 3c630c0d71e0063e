import XCTest

/// A throwaway PostgreSQL 15 cluster and a repository whose configuration and identity files
/// belong to the cluster's server user, fresh for each test.
class WALClusterTestCase: XCTestCase {
    var cluster: PITRCluster!
    var repository: WALRepositoryFixture!

    override func setUp() async throws {
        cluster = try PITRCluster()
        repository = try await WALRepositoryFixture(owner: PITRCluster.osUserName)
    }

    override func tearDown() async throws {
        cluster?.shutdown()
        await repository?.close()
    }
}
