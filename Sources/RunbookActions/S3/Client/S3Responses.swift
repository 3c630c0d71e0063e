import Foundation

/// An object as listed: key, size and ETag (normalized: no quotes, lowercase).
public struct S3Object: Sendable, Equatable {
    public var key: String
    public var size: Int64
    public var etag: String

    public init(key: String, size: Int64, etag: String) {
        self.key = key
        self.size = size
        self.etag = ETag.normalize(etag)
    }
}

/// One page of ListObjectsV2.
public struct ListObjectsPage: Sendable, Equatable {
    public var objects: [S3Object]
    public var isTruncated: Bool
    public var nextContinuationToken: String?
}

/// One failed key of a DeleteObjects request.
public struct DeleteFailure: Sendable, Equatable {
    public var key: String
    public var code: String
    public var message: String
}

struct S3ResponseError: Error {
    var reason: String
}

/// Decoders for the XML replies the client uses. Each checks the root element, so an
/// HTML error page from a proxy is reported as such instead of read as an empty list.
public enum S3Responses {
    public static func listObjectsV2(_ data: Data) throws -> ListObjectsPage {
        let root = try document(data, root: "ListBucketResult")
        var objects: [S3Object] = []
        for item in root.all("Contents") {
            guard let key = item.value("Key") else { throw S3ResponseError(reason: "a <Contents> entry has no <Key>") }
            guard let sizeText = item.value("Size"), let size = Int64(sizeText.trimmingCharacters(in: .whitespaces)), size >= 0 else {
                throw S3ResponseError(reason: "object \"\(key)\" has no valid <Size>")
            }
            objects.append(S3Object(key: key, size: size, etag: item.value("ETag") ?? ""))
        }
        let truncated = root.value("IsTruncated")?.trimmingCharacters(in: .whitespaces).lowercased() == "true"
        let token = root.value("NextContinuationToken").flatMap { $0.isEmpty ? nil : $0 }
        return ListObjectsPage(objects: objects, isTruncated: truncated, nextContinuationToken: token)
    }

    public static func bucketNames(_ data: Data) throws -> [String] {
        let root = try document(data, root: "ListAllMyBucketsResult")
        return root.child("Buckets")?.all("Bucket").compactMap { $0.value("Name") } ?? []
    }

    public static func uploadID(_ data: Data) throws -> String {
        // rclone (gofakes3) names the root InitiateMultipartUpload.
        let root = try document(data, root: "InitiateMultipartUploadResult", or: ["InitiateMultipartUpload"])
        guard let id = root.value("UploadId"), !id.isEmpty else { throw S3ResponseError(reason: "no <UploadId>") }
        return id
    }

    /// The final ETag. CompleteMultipartUpload may answer 200 with an `<Error>` body; that is thrown.
    public static func completedETag(_ data: Data) throws -> String {
        let root = try S3XML.parse(data)
        if root.name == "Error" {
            throw S3ResponseError(reason: "\(root.value("Code") ?? "error"): \(root.value("Message") ?? "")")
        }
        guard root.name == "CompleteMultipartUploadResult" else {
            throw S3ResponseError(reason: "expected <CompleteMultipartUploadResult>, got <\(root.name)>")
        }
        return ETag.normalize(root.value("ETag") ?? "")
    }

    public static func deleteFailures(_ data: Data) throws -> [DeleteFailure] {
        let root = try document(data, root: "DeleteResult")
        return root.all("Error").map {
            DeleteFailure(key: $0.value("Key") ?? "", code: $0.value("Code") ?? "", message: $0.value("Message") ?? "")
        }
    }

    /// `<CompleteMultipartUpload>` with each part's number and ETag.
    public static func completeMultipartBody(_ parts: [(number: Int, etag: String)]) -> Data {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts.sorted(by: { $0.number < $1.number }) {
            xml += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\"\(S3XML.escape(part.etag))\"</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        return Data(xml.utf8)
    }

    /// `<Delete>` in quiet mode: the reply lists only the keys that failed.
    public static func deleteBody(_ keys: [String]) -> Data {
        var xml = "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>"
        for key in keys { xml += "<Object><Key>\(S3XML.escape(key))</Key></Object>" }
        xml += "</Delete>"
        return Data(xml.utf8)
    }

    private static func document(_ data: Data, root name: String, or aliases: Set<String> = []) throws -> XMLElement {
        let root: XMLElement
        do {
            root = try S3XML.parse(data)
        } catch let error as XMLParseError {
            throw S3ResponseError(reason: "expected <\(name)>: \(error)")
        }
        guard root.name == name || aliases.contains(root.name) else {
            throw S3ResponseError(reason: "expected <\(name)>, got <\(root.name)>")
        }
        return root
    }
}
