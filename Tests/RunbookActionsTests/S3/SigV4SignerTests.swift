import Foundation
@testable import RunbookActions
import XCTest

/// AWS's published Signature V4 examples, byte for byte: the four S3 examples of
/// "Signature Calculations for the Authorization Header: Transferring Payload in a Single
/// Chunk" and two vectors of the aws-sig-v4-test-suite.
final class SigV4SignerTests: XCTestCase {
    /// The S3 examples' key pair and clock (Fri, 24 May 2013 00:00:00 GMT).
    let s3Example = SigV4Signer(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                region: "us-east-1", service: "s3")
    let may24 = Date(timeIntervalSince1970: 1_369_353_600)
    let emptyHash = SigV4Signer.emptyPayloadHash

    func testGetObjectExample() {
        let signed = s3Example.sign(method: "GET", path: "/test.txt", query: [], headers: [
            ("Host", "examplebucket.s3.amazonaws.com"),
            ("Range", "bytes=0-9"),
            ("x-amz-content-sha256", emptyHash),
            ("x-amz-date", "20130524T000000Z"),
        ], payloadHash: emptyHash, date: may24)
        XCTAssertEqual(signed.canonicalRequest, """
            GET
            /test.txt

            host:examplebucket.s3.amazonaws.com
            range:bytes=0-9
            x-amz-content-sha256:\(emptyHash)
            x-amz-date:20130524T000000Z

            host;range;x-amz-content-sha256;x-amz-date
            \(emptyHash)
            """)
        XCTAssertEqual(signed.stringToSign, """
            AWS4-HMAC-SHA256
            20130524T000000Z
            20130524/us-east-1/s3/aws4_request
            7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
            """)
        XCTAssertEqual(signed.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        XCTAssertEqual(signed.authorization,
                       "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                       + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                       + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    /// The key `test$file.text` is encoded once (`%24`), as S3 requires; the payload is "Welcome to Amazon S3.".
    func testPutObjectExample() {
        let payloadHash = SigV4Signer.hexSHA256(Data("Welcome to Amazon S3.".utf8))
        XCTAssertEqual(payloadHash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let signed = s3Example.sign(method: "PUT", path: "/test$file.text", query: [], headers: [
            ("Host", "examplebucket.s3.amazonaws.com"),
            ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("x-amz-content-sha256", payloadHash),
        ], payloadHash: payloadHash, date: may24)
        XCTAssertTrue(signed.canonicalRequest.hasPrefix("PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\n"))
        XCTAssertTrue(signed.stringToSign.hasSuffix("9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d"))
        XCTAssertEqual(signed.signedHeaders, "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class")
        XCTAssertEqual(signed.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    /// A query flag without a value (`?lifecycle`) is signed as `lifecycle=`.
    func testGetBucketLifecycleExample() {
        let signed = s3Example.sign(method: "GET", path: "/", query: [("lifecycle", "")], headers: [
            ("Host", "examplebucket.s3.amazonaws.com"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-content-sha256", emptyHash),
        ], payloadHash: emptyHash, date: may24)
        XCTAssertTrue(signed.canonicalRequest.hasPrefix("GET\n/\nlifecycle=\nhost:"))
        XCTAssertTrue(signed.stringToSign.hasSuffix("9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca"))
        XCTAssertEqual(signed.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    /// Query parameters are sorted by name whatever order they are given in.
    func testListObjectsExample() {
        let signed = s3Example.sign(method: "GET", path: "/", query: [("prefix", "J"), ("max-keys", "2")], headers: [
            ("Host", "examplebucket.s3.amazonaws.com"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-content-sha256", emptyHash),
        ], payloadHash: emptyHash, date: may24)
        XCTAssertTrue(signed.canonicalRequest.hasPrefix("GET\n/\nmax-keys=2&prefix=J\n"))
        XCTAssertTrue(signed.stringToSign.hasSuffix("df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7"))
        XCTAssertEqual(signed.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    // MARK: - aws-sig-v4-test-suite (service "service", 2015-08-30T12:36:00Z)

    let suite = SigV4Signer(accessKey: "AKIDEXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                            region: "us-east-1", service: "service")
    let august30 = Date(timeIntervalSince1970: 1_440_938_160)

    func testGetVanilla() {
        let signed = suite.sign(method: "GET", path: "/", query: [],
                                headers: [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")],
                                payloadHash: emptyHash, date: august30)
        XCTAssertEqual(signed.authorization,
                       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                       + "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    func testGetVanillaQueryOrderKeyCase() {
        let signed = suite.sign(method: "GET", path: "/", query: [("Param2", "value2"), ("Param1", "value1")],
                                headers: [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")],
                                payloadHash: emptyHash, date: august30)
        XCTAssertEqual(signed.signature, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
    }

    // MARK: - Encoding

    func testPathsKeepSlashesAndEncodeEverythingElseOnce() {
        XCTAssertEqual(SigV4Signer.encodePath("/media/odd names/a+b&c=d (v2).txt"),
                       "/media/odd%20names/a%2Bb%26c%3Dd%20%28v2%29.txt")
        XCTAssertEqual(SigV4Signer.encodePath("/media/фото.jpg"), "/media/%D1%84%D0%BE%D1%82%D0%BE.jpg")
        XCTAssertEqual(SigV4Signer.encodePath("/media/percent%20literal~x_y-z.txt"), "/media/percent%2520literal~x_y-z.txt")
        XCTAssertEqual(SigV4Signer.encodePath(""), "/")
    }

    func testQueryValuesEncodeSlashes() {
        XCTAssertEqual(SigV4Signer.canonicalQuery([("prefix", "photos/2024/"), ("continuation-token", "a+b=")]),
                       "continuation-token=a%2Bb%3D&prefix=photos%2F2024%2F")
    }

    func testHeaderValuesAreTrimmedAndInnerSpacesCollapsed() {
        let headers = SigV4Signer.canonicalHeaders([("X-Custom", "  a   b  "), ("host", "h"), ("x-custom", "c")])
        XCTAssertEqual(headers.map(\.name), ["host", "x-custom"])
        XCTAssertEqual(headers.last?.value, "a b,c")
    }

    func testTimestampsAreUTC() {
        let stamp = SigV4Signer.timestamps(Date(timeIntervalSince1970: 1_440_938_160))
        XCTAssertEqual(stamp.full, "20150830T123600Z")
        XCTAssertEqual(stamp.day, "20150830")
    }
}
