import RunbookCore

extension TargetKindID {
    /// A host reached with the system's OpenSSH client.
    public static let ssh = TargetKindID("ssh")
}

/// Target kind `ssh`: a host that postgres and compose targets (`ssh: NAME`) and `shell.run`
/// (`host:`) reach through the system's OpenSSH client. Host keys are always verified.
public struct SSHTarget: TargetConfiguration, Hashable {
    public static let kind = TargetKindSpec(.ssh, of: SSHTarget.self, summary: "A host reached with the system's OpenSSH client (`ssh`).", keys: [
        TargetKeySpec("host", .string, required: true, "Host name or address (or an alias of the ssh client's configuration)."),
        TargetKeySpec("port", .int(min: 1, max: 65535), "sshd's port; omitted means the client's default (22, or the configuration's)."),
        TargetKeySpec("user", .string, "User to log in as."),
        TargetKeySpec("identity_file", .string, "Private key to log in with (`-i`, with `IdentitiesOnly=yes`); a path, the key never enters runbook."),
        TargetKeySpec("known_hosts", .string, "The known_hosts file the host key is checked against (`UserKnownHostsFile`); default the client's."),
        TargetKeySpec("host_keys", .oneOf(["verify", "accept-new"]), default: "verify", """
        `verify`: an unknown or changed host key refuses the connection (`StrictHostKeyChecking=yes`). `accept-new`: a host \
        not yet in known_hosts is trusted on first use and recorded; a changed key is still refused.
        """),
        TargetKeySpec("connect_timeout", .int(min: 1, max: 600), default: "10", "Seconds to wait for the connection (`ConnectTimeout`)."),
    ])

    public var host: String
    public var port: Int?
    public var user: String?
    public var identityFile: String?
    public var knownHosts: String?
    public var acceptNewHostKeys: Bool
    public var connectTimeout: Int

    public init(host: String, port: Int? = nil, user: String? = nil, identityFile: String? = nil, knownHosts: String? = nil,
                acceptNewHostKeys: Bool = false, connectTimeout: Int = 10) {
        self.host = host
        self.port = port
        self.user = user
        self.identityFile = identityFile
        self.knownHosts = knownHosts
        self.acceptNewHostKeys = acceptNewHostKeys
        self.connectTimeout = connectTimeout
    }

    public init(fields: TargetFields) {
        self.init(host: fields.string("host") ?? "", port: fields.int("port"), user: fields.string("user"),
                  identityFile: fields.string("identity_file"), knownHosts: fields.string("known_hosts"),
                  acceptNewHostKeys: fields.string("host_keys") == "accept-new", connectTimeout: fields.int("connect_timeout") ?? 10)
    }

    public var secretNames: [String] { [] }
}

extension TargetBinding {
    public static func ssh(_ target: SSHTarget) -> TargetBinding { TargetBinding(target) }
}

extension PlanContext {
    /// The connection to the profile's ssh target `name`, with this run's control directory.
    public func sshConnection(_ name: String) throws -> SSHConnection {
        guard let decl = profile?.target(name) else {
            throw ActionInputError.invalid("target", "ssh target \"\(name)\" is not defined in the profile")
        }
        guard let target = decl.binding.configuration(as: SSHTarget.self) else {
            throw ActionInputError.invalid("target", "target \"\(name)\" is a \(decl.binding.kind) target, not an ssh target")
        }
        return SSHConnection(name: name, target: target, runID: runID)
    }
}
