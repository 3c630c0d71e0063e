import Foundation

/// A throwaway OpenSSH server for one test suite: `/usr/sbin/sshd -D -e` (no daemon, logs to
/// a file) on 127.0.0.1 and free ports, with a fresh host key, a fresh client key authorized
/// for root, and a known_hosts file listing the host key for each port. Tests (and CI) run as
/// root, so the "remote" user is root with `PermitRootLogin prohibit-password`: keys only.
/// The remote host is this machine, so a test can read the "remote" `/proc` directly.
final class SSHServer: @unchecked Sendable {
    static let sshd = "/usr/sbin/sshd"
    let root: String
    let ports: [Int]
    /// The client's private key, authorized on the server.
    let identity: String
    /// Lists the server's host key for every port.
    let knownHosts: String
    /// Another key, not authorized anywhere.
    let strangerIdentity: String
    private var child: ChildProcess?

    /// Starts sshd listening on `portCount` ports (at most 16, sshd's MAX_LISTEN_SOCKS); `environment` is set in every session
    /// (`SetEnv`), as a remote host's own configuration would (e.g. its `DOCKER_HOST`).
    init(portCount: Int = 1, environment: [String: String] = [:]) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.sshd) else {
            throw PostgresCluster.HarnessError(description: "sshd is missing at \(Self.sshd) (apt-get install -y openssh-server, see scripts/setup.sh)")
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh") else {
            throw PostgresCluster.HarnessError(description: "the ssh client is missing (apt-get install -y openssh-client)")
        }
        var template = Array((NSTemporaryDirectory() + "runbook-sshd-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw PostgresCluster.HarnessError(description: "mkdtemp failed") }
        root = String(cString: made)
        identity = root + "/client_key"
        strangerIdentity = root + "/stranger_key"
        knownHosts = root + "/known_hosts"
        var chosen: [Int] = []
        while chosen.count < portCount {
            let port = try PostgresCluster.freePort()
            if !chosen.contains(port) { chosen.append(port) }
        }
        ports = chosen
        do {
            for key in ["host_key", "client_key", "stranger_key"] {
                try PostgresCluster.sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", key, "-f", root + "/" + key])
            }
            try FileManager.default.copyItem(atPath: identity + ".pub", toPath: root + "/authorized_keys")
            let hostKey = try String(contentsOfFile: root + "/host_key.pub", encoding: .utf8)
                .split(separator: " ").prefix(2).joined(separator: " ")
            try ports.map { "[127.0.0.1]:\($0) \(hostKey)" }.joined(separator: "\n").appending("\n")
                .write(toFile: knownHosts, atomically: true, encoding: .utf8)
            var config = ports.map { "Port \($0)" }
            config += [
                "ListenAddress 127.0.0.1", "HostKey \(root)/host_key", "PidFile none",
                "AuthorizedKeysFile \(root)/authorized_keys", "PermitRootLogin prohibit-password",
                "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no", "UseDNS no",
                // The directory is under /tmp (mode 1777), which StrictModes would refuse.
                "StrictModes no", "MaxSessions 100", "MaxStartups 100:30:200", "PrintMotd no",
            ]
            if !environment.isEmpty {
                config.append("SetEnv " + environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
            }
            try (config.joined(separator: "\n") + "\n").write(toFile: root + "/sshd_config", atomically: true, encoding: .utf8)
            // sshd wants its privilege-separation directory.
            try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
            child = try ChildProcess.spawn([Self.sshd, "-D", "-e", "-f", root + "/sshd_config"], environment: ProcessInfo.processInfo.environment,
                                           stdout: root + "/sshd.log", stderr: root + "/sshd.log")
            try waitUntilListening()
        } catch {
            stop()
            throw error
        }
    }

    private func waitUntilListening() throws {
        for port in ports {
            let deadline = Date().addingTimeInterval(20)
            while true {
                if (try? PostgresCluster.run(["ssh", "-o", "BatchMode=yes", "-o", "UserKnownHostsFile=" + knownHosts, "-o", "StrictHostKeyChecking=yes",
                                              "-i", identity, "-o", "IdentitiesOnly=yes", "-p", String(port), "-l", "root", "127.0.0.1", "true"],
                                             environment: ProcessInfo.processInfo.environment)) != nil { break }
                guard Date() < deadline else {
                    throw PostgresCluster.HarnessError(description: "sshd did not accept logins on port \(port): \(log)")
                }
                usleep(100_000)
            }
        }
    }

    var log: String { (try? String(contentsOfFile: root + "/sshd.log", encoding: .utf8)) ?? "" }

    /// The profile lines of an ssh target for `port` (YAML flow mapping).
    func target(port: Int? = nil, identity: String? = nil, knownHosts: String? = nil, extra: String = "") -> String {
        "{host: 127.0.0.1, port: \(port ?? ports[0]), user: root, identity_file: \(identity ?? self.identity), known_hosts: \(knownHosts ?? self.knownHosts)\(extra)}"
    }

    func stop() {
        if let child {
            kill(child.pid, SIGTERM)
            _ = try? child.wait()
            self.child = nil
        }
        try? FileManager.default.removeItem(atPath: root)
    }

    deinit { stop() }
}
