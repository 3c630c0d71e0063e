import RunbookCore

/// Writing a file that holds secrets on the server's machine, as the server user: from stdin
/// (a 0600 local file, so the content is never on argv), through a temporary name and a
/// rename, with umask 077 from the start so it is never readable by anyone else, not even for
/// a moment.
enum PrivateFile {
    static func write(_ path: String, _ server: PITRServer, as owner: String, stdinFile: String?, serverStopped: Bool = false) -> CommandLine {
        server.onHost(["sh", "-c", "umask 077 && cat > \"$1.tmp\" && mv -f -- \"$1.tmp\" \"$1\"", "sh", path],
                      as: owner, serverStopped: serverStopped, stdinFile: stdinFile)
    }
}
