import Foundation

/// Checks an audit trail line by line and names the first line that breaks the chain.
///
/// A final line without its newline that does not verify is reported as torn (a
/// write cut short by a crash), not as tampering; everything before it still verifies.
public enum AuditVerifier {
    public struct Report: Sendable {
        /// Complete lines that verified.
        public var verifiedLines: Int
        /// The first bad line (1-based) and why; nil when the chain holds.
        public var firstBadLine: Int?
        public var problem: String?
        /// Line number of a torn final line, if any.
        public var tornLine: Int?
        public var tornBytes: Int = 0

        public var isIntact: Bool { firstBadLine == nil }
    }

    public static func verify(path: String) throws -> Report {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AuditError("cannot read \(path)")
        }
        return verify(data)
    }

    public static func verify(_ data: Data) -> Report {
        var report = Report(verifiedLines: 0)
        var expectedPrev = AuditChain.genesis
        var expectedSeq = 1
        var lineNumber = 0
        var start = data.startIndex
        let newline = UInt8(ascii: "\n")
        while start < data.endIndex {
            lineNumber += 1
            let end = data[start...].firstIndex(of: newline)
            let line = Data(data[start..<(end ?? data.endIndex)])
            let isFinalWithoutNewline = end == nil
            start = end.map { $0 + 1 } ?? data.endIndex

            func fail(_ why: String) -> Report {
                if isFinalWithoutNewline {
                    report.tornLine = lineNumber
                    report.tornBytes = line.count
                    return report
                }
                report.firstBadLine = lineNumber
                report.problem = why
                return report
            }

            if line.isEmpty { return fail("empty line (inserted, or a line's contents were deleted)") }
            guard let (body, claimed) = AuditChain.unseal(line) else {
                return fail("not a sealed audit event (its \"hash\" is missing or malformed)")
            }
            guard AuditChain.sha256(body) == claimed else {
                return fail("contents do not match the line's hash: the line was edited")
            }
            guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
                  let prev = object["prev"] as? String, let seq = object["seq"] as? Int else {
                return fail("not an audit event (no \"prev\" or \"seq\")")
            }
            guard prev == expectedPrev else {
                let detail: String
                if lineNumber == 1 {
                    detail = "the file does not start at the first event (seq \(seq)): lines were deleted from its start"
                } else if let later = Self.line(withSeq: expectedSeq, in: data[start...], after: lineNumber) {
                    detail = "event \(expectedSeq) appears later, at line \(later): lines were reordered"
                } else if seq > expectedSeq {
                    detail = "event \(expectedSeq)\(seq - expectedSeq > 1 ? "-\(seq - 1)" : "") is missing: lines were deleted before this one"
                } else if seq < expectedSeq {
                    detail = "event \(seq) appears after event \(expectedSeq - 1): lines were reordered or duplicated"
                } else {
                    detail = "the previous line was replaced or a line was inserted"
                }
                let what = lineNumber == 1 ? "\"prev\" is not the start of a chain" : "\"prev\" does not match the hash of line \(lineNumber - 1)"
                return fail("chain broken: \(what); \(detail)")
            }
            guard seq == expectedSeq else {
                return fail("sequence number \(seq) where \(expectedSeq) was expected")
            }
            expectedPrev = claimed
            expectedSeq += 1
            report.verifiedLines += 1
        }
        return report
    }

    /// The line number of a later event with sequence number `seq`, if any.
    private static func line(withSeq seq: Int, in rest: Data.SubSequence, after lineNumber: Int) -> Int? {
        var n = lineNumber
        for line in rest.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            n += 1
            guard let (body, _) = AuditChain.unseal(Data(line)),
                  let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { continue }
            if object["seq"] as? Int == seq { return n }
        }
        return nil
    }
}
