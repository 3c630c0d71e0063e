import Crypto
import Foundation

/// What an S3 ETag says about an object's bytes.
///
/// For a single PUT it is the MD5 of the content. For a multipart upload it is the MD5
/// of the parts' binary MD5s, then `-N` (the part count); rebuilding it needs the part
/// size the uploader chose, which is not recorded anywhere, so `candidatePartSizes`
/// lists the sizes common clients use that fit N parts. Some servers (rclone serve s3)
/// answer a plain MD5 even for multipart uploads.
public enum ETag {
    public enum Kind: Equatable, Sendable {
        case md5(String)
        case multipart(String, parts: Int)
        /// Encrypted or server-specific: says nothing we can check locally.
        case opaque
    }

    /// Without quotes or a weak-validator prefix, lowercase.
    public static func normalize(_ raw: String) -> String {
        var s = raw.trimmingCharacters(in: .whitespaces)
        if s.hasPrefix("W/") { s.removeFirst(2) }
        if s.hasPrefix("\""), s.hasSuffix("\""), s.count >= 2 { s = String(s.dropFirst().dropLast()) }
        return s.lowercased()
    }

    public static func kind(_ raw: String) -> Kind {
        let s = normalize(raw)
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard let hex = parts.first, hex.count == 32, hex.allSatisfy(\.isHexDigit) else { return .opaque }
        if parts.count == 1 { return .md5(String(hex)) }
        if parts.count == 2, let n = Int(parts[1]), n >= 1 { return .multipart(String(hex), parts: n) }
        return .opaque
    }

    /// `md5(md5(part1) || md5(part2) ...)-N`, as S3 computes it.
    public static func multipart(partDigests: [[UInt8]]) -> String {
        var md5 = Insecure.MD5()
        for d in partDigests { md5.update(data: d) }
        return md5.finalize().hex + "-\(partDigests.count)"
    }

    static let mebibyte: Int64 = 1 << 20
    /// Part sizes of the usual clients: 8 MiB is the aws CLI's and boto's default, 5 MiB the S3 minimum,
    /// 16 MiB ours, 64 MiB mc's, 10/15/32/50/100/128 MiB other tools' settings.
    static let commonPartSizes: [Int64] = [5, 8, 10, 15, 16, 32, 50, 64, 100, 128].map { $0 * mebibyte }

    /// The part sizes that could have produced `parts` parts for an object of `size` bytes.
    public static func candidatePartSizes(size: Int64, parts: Int) -> [Int64] {
        guard parts >= 1, size >= 1 else { return [] }
        let even = (size + Int64(parts) - 1) / Int64(parts)
        let evenMiB = (even + mebibyte - 1) / mebibyte * mebibyte
        var candidates = commonPartSizes + [even, evenMiB, MultipartPlan.partSize(for: size)]
        candidates = candidates.filter { $0 > 0 && (size + $0 - 1) / $0 == Int64(parts) }
        return Array(Set(candidates)).sorted()
    }
}

/// Whether a local file holds the same bytes as an object, judged without downloading it.
public enum ContentMatch {
    /// - Parameter hint: the entry a previous mirror recorded for this key. When its size and
    ///   ETag still match the object, its sha256 is the strongest evidence and decides alone.
    public static func same(local: FileDigest, remoteSize: Int64, remoteETag: String, hint: ManifestEntry?) -> Bool {
        guard local.size == remoteSize else { return false }
        let etag = ETag.normalize(remoteETag)
        if let hint, hint.size == remoteSize, ETag.normalize(hint.etag) == etag, !hint.sha256.isEmpty {
            return hint.sha256 == local.sha256
        }
        switch ETag.kind(etag) {
        case .md5(let hex): return hex == local.md5
        case .multipart: return local.multipartETags.contains(etag)
        case .opaque: return false
        }
    }

    /// Part sizes worth hashing the local file with, so `same` can rebuild a multipart ETag.
    public static func partSizesToTry(remoteSize: Int64, remoteETag: String) -> [Int64] {
        if case .multipart(_, let parts) = ETag.kind(remoteETag) {
            return ETag.candidatePartSizes(size: remoteSize, parts: parts)
        }
        return []
    }
}
