import Foundation
import RunbookAge

// stdin → stdout, like `age`:
//   age-bench encrypt RECIPIENT...     (age1… public keys)
//   age-bench decrypt IDENTITY_FILE    (the identity is read from a file, never from argv)
let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch arguments.first {
    case "encrypt" where arguments.count >= 2:
        try AgeFileStreams.encrypt(from: .standardInput, to: .standardOutput,
                                   recipients: arguments.dropFirst().map { try AgeRecipient($0) })
    case "decrypt" where arguments.count == 2:
        try AgeFileStreams.decrypt(from: .standardInput, to: .standardOutput,
                                   identities: AgeIdentityFile.load(path: arguments[1]))
    default:
        FileHandle.standardError.write(Data("usage: age-bench encrypt age1... | age-bench decrypt IDENTITY_FILE\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("age-bench: \(error)\n".utf8))
    exit(1)
}
