import Foundation

/// One recipient stanza of an age header: `-> TYPE ARG…` and a base64 body.
struct AgeStanza: Equatable {
    var type: String
    var arguments: [String]
    var body: [UInt8]

    /// The stanza's header lines, body wrapped at 64 columns. A body whose encoding fills whole
    /// lines ends with an empty line, because a line shorter than 64 columns is what ends a body.
    var encoded: String {
        var text = "-> " + ([type] + arguments).joined(separator: " ") + "\n"
        let body = Array(AgeBase64.encode(body).utf8)
        var start = 0
        repeat {
            let end = min(start + 64, body.count)
            text += String(decoding: body[start..<end], as: UTF8.self) + "\n"
            if end - start < 64 { break }
            start = end
        } while true
        return text
    }
}
