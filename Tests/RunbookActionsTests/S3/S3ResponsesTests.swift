import Foundation
@testable import RunbookActions
import XCTest

/// Reading S3's XML replies, as SeaweedFS, rclone and AWS write them.
final class S3ResponsesTests: XCTestCase {
    func testListObjectsV2PageWithEntitiesAndContinuation() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Name>media</Name><Prefix>photos/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>
              <IsTruncated>true</IsTruncated>
              <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
              <Contents>
                <Key>photos/a&amp;b &lt;1&gt;.jpg</Key>
                <LastModified>2024-01-15T10:00:00.000Z</LastModified>
                <ETag>&quot;9B2CF535F27731C974343645A3985328&quot;</ETag>
                <Size>1024</Size><StorageClass>STANDARD</StorageClass>
              </Contents>
              <!-- a comment between entries -->
              <Contents>
                <Key><![CDATA[photos/фото & co.jpg]]></Key>
                <ETag>"d41d8cd98f00b204e9800998ecf8427e-3"</ETag>
                <Size>0</Size>
              </Contents>
            </ListBucketResult>
            """
        let page = try S3Responses.listObjectsV2(Data(xml.utf8))
        XCTAssertEqual(page.objects, [
            S3Object(key: "photos/a&b <1>.jpg", size: 1024, etag: "9b2cf535f27731c974343645a3985328"),
            S3Object(key: "photos/фото & co.jpg", size: 0, etag: "d41d8cd98f00b204e9800998ecf8427e-3"),
        ])
        XCTAssertTrue(page.isTruncated)
        XCTAssertEqual(page.nextContinuationToken, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
    }

    func testNumericCharacterReferences() throws {
        let root = try S3XML.parse(Data("<a><k>&#34;x&#x2F;y&#34;</k></a>".utf8))
        XCTAssertEqual(root.value("k"), "\"x/y\"")
    }

    func testLastPageAndEmptyBucket() throws {
        let page = try S3Responses.listObjectsV2(Data("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>".utf8))
        XCTAssertEqual(page.objects, [])
        XCTAssertFalse(page.isTruncated)
        XCTAssertNil(page.nextContinuationToken)
    }

    func testAnErrorPageIsNotReadAsAnEmptyListing() {
        XCTAssertThrowsError(try S3Responses.listObjectsV2(Data("<html><body>502 Bad Gateway</body></html>".utf8))) { error in
            XCTAssertEqual((error as? S3ResponseError)?.reason, "expected <ListBucketResult>, got <html>")
        }
    }

    func testAnEntryWithoutSizeIsRejected() {
        let xml = "<ListBucketResult><Contents><Key>a</Key><Size>lots</Size></Contents></ListBucketResult>"
        XCTAssertThrowsError(try S3Responses.listObjectsV2(Data(xml.utf8))) { error in
            XCTAssertEqual((error as? S3ResponseError)?.reason, "object \"a\" has no valid <Size>")
        }
    }

    func testMalformedXML() {
        for bad in ["", "<a>", "<a></b>", "<a>&bogus;</a>", "<a x=1></a>", "<a></a><b></b>", "text"] {
            XCTAssertThrowsError(try S3XML.parse(Data(bad.utf8)), "\"\(bad)\" must not parse")
        }
    }

    func testDeepNestingIsRefused() {
        let deep = String(repeating: "<a>", count: 100) + String(repeating: "</a>", count: 100)
        XCTAssertThrowsError(try S3XML.parse(Data(deep.utf8))) { error in
            XCTAssertTrue("\(error)".contains("nested deeper than 32 levels"), "\(error)")
        }
    }

    func testUploadIDUnderEitherRootName() throws {
        XCTAssertEqual(try S3Responses.uploadID(Data(
            "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>abc-1</UploadId></InitiateMultipartUploadResult>".utf8)), "abc-1")
        // rclone's spelling.
        XCTAssertEqual(try S3Responses.uploadID(Data(
            "<InitiateMultipartUpload><UploadId>cb27</UploadId></InitiateMultipartUpload>".utf8)), "cb27")
    }

    /// CompleteMultipartUpload can answer 200 with an error inside.
    func testCompletionWithAnErrorBodyThrows() {
        let xml = "<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>"
        XCTAssertThrowsError(try S3Responses.completedETag(Data(xml.utf8))) { error in
            XCTAssertEqual((error as? S3ResponseError)?.reason, "InternalError: We encountered an internal error.")
        }
        XCTAssertEqual(try S3Responses.completedETag(Data(
            "<CompleteMultipartUploadResult><ETag>&#34;740d75bbabf17bcbaaae7a918f9443f6-3&#34;</ETag></CompleteMultipartUploadResult>".utf8)),
            "740d75bbabf17bcbaaae7a918f9443f6-3")
    }

    func testDeleteResultListsFailures() throws {
        let xml = """
            <DeleteResult><Deleted><Key>a</Key></Deleted>
            <Error><Key>b</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>
            """
        XCTAssertEqual(try S3Responses.deleteFailures(Data(xml.utf8)),
                       [DeleteFailure(key: "b", code: "AccessDenied", message: "Access Denied")])
    }

    func testRequestBodiesEscapeKeys() throws {
        let body = String(decoding: S3Responses.deleteBody(["a&b", "<c>"]), as: UTF8.self)
        XCTAssertTrue(body.contains("<Object><Key>a&amp;b</Key></Object><Object><Key>&lt;c&gt;</Key></Object>"), body)
        let parsed = try S3XML.parse(S3Responses.deleteBody(["a&b", "<c>"]))
        XCTAssertEqual(parsed.all("Object").compactMap { $0.value("Key") }, ["a&b", "<c>"])

        let complete = try S3XML.parse(S3Responses.completeMultipartBody([(2, "bb"), (1, "aa")]))
        XCTAssertEqual(complete.all("Part").compactMap { $0.value("PartNumber") }, ["1", "2"], "parts in ascending order")
        XCTAssertEqual(complete.all("Part").compactMap { $0.value("ETag") }, ["\"aa\"", "\"bb\""])
    }
}
