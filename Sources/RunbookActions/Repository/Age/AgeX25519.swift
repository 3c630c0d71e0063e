import Crypto
import Foundation

/// The X25519 recipient type of age-encryption.org/v1: the file key is wrapped with a key
/// derived from an ephemeral Diffie-Hellman share, one stanza per recipient.
enum AgeX25519 {
    static let stanzaType = "X25519"
    private static let label = Array("age-encryption.org/v1/X25519".utf8)
    private static let zeroNonce = try! ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12))

    /// The wrapping key for one stanza: HKDF-SHA256 over the shared secret, salted with the
    /// ephemeral share and the recipient's public key.
    private static func wrappingKey(sharedSecret: SharedSecret, share: [UInt8], recipient: [UInt8]) throws -> SymmetricKey {
        let allZero = sharedSecret.withUnsafeBytes { $0.allSatisfy { $0 == 0 } }
        // A low-order share makes the secret all zeros, which anyone can compute.
        guard !allZero else { throw AgeError.malformedHeader("an X25519 stanza's share is a low-order point") }
        return sharedSecret.hkdfDerivedSymmetricKey(using: SHA256.self, salt: share + recipient, sharedInfo: label,
                                                    outputByteCount: 32)
    }

    static func wrap(fileKey: [UInt8], to recipient: Curve25519.KeyAgreement.PublicKey) throws -> AgeStanza {
        let ephemeral = Curve25519.KeyAgreement.PrivateKey()
        let share = Array(ephemeral.publicKey.rawRepresentation)
        let secret = try ephemeral.sharedSecretFromKeyAgreement(with: recipient)
        let key = try wrappingKey(sharedSecret: secret, share: share, recipient: Array(recipient.rawRepresentation))
        let sealed = try ChaChaPoly.seal(fileKey, using: key, nonce: zeroNonce)
        return AgeStanza(type: stanzaType, arguments: [AgeBase64.encode(share)], body: Array(sealed.ciphertext) + Array(sealed.tag))
    }

    /// The file key, or nil when the stanza is not for this identity. A malformed X25519 stanza
    /// is an error, not a mismatch: a damaged header must not pass for "wrong key".
    static func unwrap(_ stanza: AgeStanza, with identity: Curve25519.KeyAgreement.PrivateKey) throws -> [UInt8]? {
        guard stanza.type == stanzaType else { return nil }
        guard stanza.arguments.count == 1 else {
            throw AgeError.malformedHeader("an X25519 stanza must have exactly one argument, it has \(stanza.arguments.count)")
        }
        guard let share = AgeBase64.decode(Array(stanza.arguments[0].utf8)), share.count == 32 else {
            throw AgeError.malformedHeader("an X25519 stanza's share is not 32 bytes of canonical base64")
        }
        guard stanza.body.count == 32 else {
            throw AgeError.malformedHeader("an X25519 stanza's body is \(stanza.body.count) bytes, not 32")
        }
        let secret: SharedSecret
        do {
            secret = try identity.sharedSecretFromKeyAgreement(with: Curve25519.KeyAgreement.PublicKey(rawRepresentation: share))
        } catch {
            throw AgeError.malformedHeader("an X25519 stanza's share is a low-order point")
        }
        let key = try wrappingKey(sharedSecret: secret, share: share, recipient: Array(identity.publicKey.rawRepresentation))
        do {
            let box = try ChaChaPoly.SealedBox(nonce: zeroNonce, ciphertext: stanza.body[0..<16], tag: stanza.body[16...])
            return Array(try ChaChaPoly.open(box, using: key))
        } catch {
            return nil
        }
    }
}
