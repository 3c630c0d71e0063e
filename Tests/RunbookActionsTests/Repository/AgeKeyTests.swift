import Foundation
@testable import RunbookActions
import XCTest

/// Bech32 recipients and identities, identity files, and keeping secrets out of text.
final class AgeKeyTests: XCTestCase {
    /// The testkit's identity and the recipient `age-keygen -y` prints for it.
    let secret = "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0"
    let publicKey = "age1xmwwc06ly3ee5rytxm9mflaz2u56jjj36s0mypdrwsvlul66mv4q47ryef"

    func testAnIdentityDerivesTheRecipientAgeKeygenPrints() throws {
        let identity = try AgeIdentity(secret)
        XCTAssertEqual(identity.recipient.description, publicKey)
        XCTAssertEqual(identity.secretText, secret)
        XCTAssertEqual(try AgeRecipient(publicKey), identity.recipient)
    }

    func testGeneratedKeysRoundTripThroughText() throws {
        let identity = AgeIdentity.generate()
        XCTAssertEqual(try AgeIdentity(identity.secretText).recipient, identity.recipient)
        XCTAssertEqual(try AgeRecipient(identity.recipient.description), identity.recipient)
    }

    func testABadChecksumOrMixedCaseOrWrongKindIsRefused() {
        var flipped = Array(publicKey)
        flipped[10] = flipped[10] == "q" ? "p" : "q"
        XCTAssertThrowsError(try AgeRecipient(String(flipped))) { error in
            XCTAssertEqual("\(error)", "invalid age recipient \"\(String(flipped))\": not a Bech32 string (badChecksum)")
        }
        XCTAssertThrowsError(try AgeRecipient("age1XMWwc06ly3ee5rytxm9mflaz2u56jjj36s0mypdrwsvlul66mv4q47ryef"))
        XCTAssertThrowsError(try AgeRecipient(secret)) { error in
            XCTAssertEqual("\(error)", "invalid age recipient \"AGE-SECRET-KEY-1…\": this is a secret identity, not a recipient: "
                + "give its public key (age-keygen -y prints it) and keep the secret off this host")
        }
        XCTAssertThrowsError(try AgeIdentity(publicKey, source: "keys.txt line 3")) { error in
            XCTAssertEqual("\(error)", "invalid age identity (keys.txt line 3): an X25519 identity starts with AGE-SECRET-KEY-1")
        }
    }

    func testAnIdentityErrorNeverEchoesTheSecret() {
        let damaged = String(secret.dropLast()) + (secret.hasSuffix("Q") ? "P" : "Q")
        XCTAssertThrowsError(try AgeIdentity(damaged, source: "keys.txt line 3")) { error in
            XCTAssertEqual("\(error)", "invalid age identity (keys.txt line 3): not a Bech32 string (badChecksum)")
            XCTAssertFalse("\(error)".contains("EGTZVFFV"))
        }
    }

    func testAnIdentityPrintsAndReflectsOnlyItsRecipient() throws {
        let identity = try AgeIdentity(secret)
        var dumped = ""
        dump(identity, to: &dumped)
        for text in ["\(identity)", String(reflecting: identity), dumped] {
            XCTAssertFalse(text.contains("EGTZVFFV"), text)
            XCTAssertTrue(text.contains(publicKey), text)
        }
    }

    func testIdentityFilesAsAgeKeygenWritesThem() throws {
        let text = "# created: 2026-12-04T18:00:00Z\n# public key: \(publicKey)\n\(secret)\n\n# second\r\n\(AgeIdentity.generate().secretText)\r\n"
        let identities = try AgeIdentityFile.parse(text, path: "keys.txt")
        XCTAssertEqual(identities.count, 2)
        XCTAssertEqual(identities[0].recipient.description, publicKey)
        let rendered = AgeIdentityFile.render(identities[0], created: Date(timeIntervalSince1970: 0))
        XCTAssertEqual(rendered, "# created: 1970-01-01T00:00:00Z\n# public key: \(publicKey)\n\(secret)\n")
        XCTAssertThrowsError(try AgeIdentityFile.parse("# only comments\n", path: "keys.txt")) { error in
            XCTAssertEqual("\(error)", "age identity file keys.txt: no AGE-SECRET-KEY-1 identity in it")
        }
        XCTAssertThrowsError(try AgeIdentityFile.parse("# c\n\(secret)!\n", path: "keys.txt")) { error in
            XCTAssertEqual("\(error)", "invalid age identity (keys.txt line 2): not a Bech32 string (badCharacter)")
        }
    }

    func testBase64IsStrict() {
        XCTAssertEqual(AgeBase64.decode(Array("AA".utf8)), [0])
        XCTAssertNil(AgeBase64.decode(Array("AB".utf8)), "non-zero unused bits")
        XCTAssertNil(AgeBase64.decode(Array("AA==".utf8)), "padding")
        XCTAssertNil(AgeBase64.decode(Array("A".utf8)), "impossible length")
        XCTAssertEqual(AgeBase64.encode([0xfb, 0xff]), "+/8")
    }
}
