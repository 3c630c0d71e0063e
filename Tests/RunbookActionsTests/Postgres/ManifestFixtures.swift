@testable import RunbookActions
import Foundation

enum ManifestFixtures {
    static func record(_ path: String, database: String, finished: Date, verified: Bool = true, sha256: String = "00",
                       kind: DumpRecord.Kind = .database) -> DumpRecord {
        DumpRecord(database: database, kind: kind, format: .custom, path: path, size: 5, sha256: sha256, serverVersion: "15.18",
                   startedAt: finished.addingTimeInterval(-30), finishedAt: finished, rowCounts: ["public.t": 1],
                   verified: verified, runID: "r")
    }
}
