import Crypto
import Foundation

/// An age-encryption.org/v1 header: the version line, recipient stanzas, and a MAC keyed by
/// the file key over everything up to and including the `---` of the MAC line.
struct AgeHeader {
    static let versionLine = "age-encryption.org/v1"
    var stanzas: [AgeStanza]
    /// The header bytes the MAC covers, exactly as read (or written).
    var macInput: [UInt8]
    var mac: [UInt8]

    static func macKey(fileKey: [UInt8]) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: fileKey), salt: [UInt8](),
                               info: Array("header".utf8), outputByteCount: 32)
    }

    static func computeMAC(_ macInput: [UInt8], fileKey: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: macInput, using: macKey(fileKey: fileKey)))
    }

    /// The encoded header for `stanzas`, MAC line included.
    static func encode(stanzas: [AgeStanza], fileKey: [UInt8]) -> [UInt8] {
        var text = versionLine + "\n"
        for stanza in stanzas { text += stanza.encoded }
        text += "---"
        let covered = Array(text.utf8)
        return covered + Array((" " + AgeBase64.encode(computeMAC(covered, fileKey: fileKey)) + "\n").utf8)
    }

    /// Whether `mac` authenticates this header under `fileKey` (constant time).
    func verify(fileKey: [UInt8]) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: macInput, using: AgeHeader.macKey(fileKey: fileKey))
    }

    /// Where the header ends in `bytes` (the index after the MAC line's newline), or nil if it
    /// has not ended yet. `from` resumes a scan: the header cannot end before it.
    static func end(in bytes: [UInt8], scannedUpTo from: inout Int) -> Int? {
        var lineStart = from
        // Rewind to the start of the line `from` is in, so a split "---" is still seen.
        while lineStart > 0 && bytes[lineStart - 1] != 0x0a { lineStart -= 1 }
        while let newline = bytes[lineStart...].firstIndex(of: 0x0a) {
            if bytes[lineStart...].starts(with: [0x2d, 0x2d, 0x2d]) { return newline + 1 }
            lineStart = newline + 1
        }
        from = bytes.count
        return nil
    }

    /// Parses a complete header (`bytes` ends with the MAC line's newline).
    static func parse(_ bytes: [UInt8]) throws -> AgeHeader {
        var lines = bytes.split(separator: 0x0a, omittingEmptySubsequences: false)
        guard lines.last?.isEmpty == true else { throw AgeError.malformedHeader("the header does not end with a newline") }
        lines.removeLast()
        let version = String(decoding: lines[0], as: UTF8.self)
        guard version == versionLine else {
            if version.hasPrefix("age-encryption.org/") { throw AgeError.unsupportedVersion(version) }
            throw AgeError.malformedHeader("the first line is not \"\(versionLine)\"")
        }
        var stanzas: [AgeStanza] = []
        var index = 1
        while index < lines.count {
            let line = lines[index]
            if line.starts(with: Array("---".utf8)) {
                guard index == lines.count - 1 else { throw AgeError.malformedHeader("text follows the MAC line") }
                let macLine = Array(line)
                guard macLine.count == 4 + 43, macLine[3] == 0x20, let mac = AgeBase64.decode(macLine[4...]), mac.count == 32 else {
                    throw AgeError.malformedHeader("the MAC line is not \"--- \" and 32 bytes of canonical base64")
                }
                let macInputLength = line.startIndex - bytes.startIndex + 3
                return AgeHeader(stanzas: stanzas, macInput: Array(bytes[..<macInputLength]), mac: mac)
            }
            let (stanza, next) = try parseStanza(lines, at: index)
            stanzas.append(stanza)
            index = next
        }
        throw AgeError.malformedHeader("no MAC line")
    }

    /// One stanza starting at `lines[index]`; returns it and the index of the line after its body.
    private static func parseStanza(_ lines: [ArraySlice<UInt8>], at index: Int) throws -> (AgeStanza, Int) {
        let line = lines[index]
        guard line.starts(with: Array("-> ".utf8)) else {
            throw AgeError.malformedHeader("line \(index + 1) is neither a stanza (\"-> \") nor the MAC line (\"---\")")
        }
        let words = line.dropFirst(3).split(separator: 0x20, omittingEmptySubsequences: false)
        for word in words {
            guard !word.isEmpty, word.allSatisfy({ (0x21...0x7e).contains($0) }) else {
                throw AgeError.malformedHeader("line \(index + 1): a stanza argument is empty or has a character outside printable ASCII")
            }
        }
        var body: [UInt8] = []
        var next = index + 1
        while true {
            guard next < lines.count else { throw AgeError.malformedHeader("a stanza's body does not end") }
            let bodyLine = lines[next]
            guard bodyLine.count <= 64, bodyLine.allSatisfy(AgeBase64.isAlphabet) else {
                throw AgeError.malformedHeader("line \(next + 1) is not a stanza body line (at most 64 base64 characters)")
            }
            body += bodyLine
            next += 1
            if bodyLine.count < 64 { break }
        }
        guard let decoded = AgeBase64.decode(body) else {
            throw AgeError.malformedHeader("a stanza body is not canonical unpadded base64")
        }
        let strings = words.map { String(decoding: $0, as: UTF8.self) }
        return (AgeStanza(type: strings[0], arguments: Array(strings.dropFirst()), body: decoded), next)
    }
}
