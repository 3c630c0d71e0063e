import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One attempt at what `pg_isready` asks, without starting a process: open the server's socket,
/// send a protocol 3.0 startup message and read the first answer.
///
/// `pg_isready` costs 8 to 13 ms a call here, almost all of it loading libpq and its libraries;
/// this costs well under one. Its verdict follows libpq's `PQping`, which is what `pg_isready`
/// reports: any authentication request, or any error but `57P03` (the server is starting up,
/// shutting down or in recovery without hot standby), means the server accepts connections.
///
/// It answers only for a server on this host that the target names exactly: a socket directory,
/// or a loopback address, with a port. Everything else (host names, ports left to libpq's
/// environment, compose, ssh) is `nil` and keeps `pg_isready`, and so does any attempt that does
/// not end in a clear "accepting": the probe can only save time, never decide a failure.
struct StartupProbe: Sendable {
    enum Address: Sendable, Equatable {
        case unixSocket(path: String)
        case loopback(host: String, port: UInt16, ipv6: Bool)
    }

    let address: Address
    let user: String
    let database: String

    /// The probe for `endpoint`, or nil where only `pg_isready` knows how to reach the server.
    init?(_ endpoint: PostgresEndpoint, database: String) {
        guard endpoint.transport == .local, let host = endpoint.target.host, let port = endpoint.target.port,
              let portNumber = UInt16(exactly: port) else { return nil }
        guard let address = Self.address(host: host, port: portNumber) else { return nil }
        self.address = address
        // Any role and database will do: PQping counts a refusal of either as an answer.
        self.user = endpoint.target.user ?? "postgres"
        self.database = database
    }

    init(address: Address, user: String, database: String) {
        self.address = address
        self.user = user
        self.database = database
    }

    static func address(host: String, port: UInt16) -> Address? {
        if host.hasPrefix("/") {
            guard !host.contains(",") else { return nil }
            return .unixSocket(path: (host as NSString).appendingPathComponent(".s.PGSQL.\(port)"))
        }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            // 127.0.0.0/8, in network byte order.
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127 ? .loopback(host: host, port: port, ipv6: false) : nil
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            let loopback: [UInt8] = Array(repeating: 0, count: 15) + [1]
            let bytes = withUnsafeBytes(of: v6) { Array($0) }
            return bytes == loopback ? .loopback(host: host, port: port, ipv6: true) : nil
        }
        return nil
    }

    /// Where it knocks, for messages: `/run/postgresql/.s.PGSQL.5432`, `127.0.0.1:5432`.
    var place: String {
        switch address {
        case .unixSocket(let path): return path
        case .loopback(let host, let port, let ipv6): return ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }

    enum Answer: Equatable, Sendable {
        /// The server answered the startup message as a running server does.
        case accepting
        /// It did not: refused, silent, starting up, or an answer this probe does not know.
        case unknown(String)
    }

    /// Blocks for at most about `timeout` seconds (a local socket answers in microseconds).
    func attempt(timeout: Double) -> Answer {
        let fd: Int32
        switch address {
        case .unixSocket: fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        case .loopback(_, _, let ipv6): fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        guard fd >= 0 else { return .unknown("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var limit = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        if let failure = connect(fd) { return .unknown(failure) }
        guard send(fd, Self.startupMessage(user: user, database: database)) else {
            return .unknown("sending the startup message: \(String(cString: strerror(errno)))")
        }
        guard let header = receive(fd, count: 5) else { return .unknown("no answer to the startup message") }
        let length = Int(UInt32(header[1]) << 24 | UInt32(header[2]) << 16 | UInt32(header[3]) << 8 | UInt32(header[4]))
        switch header[0] {
        case UInt8(ascii: "R"):
            // AuthenticationOk (0): a session is open; end it the way libpq does, so the
            // server logs nothing. Any other request waits for a password we never send.
            if length >= 8, let code = receive(fd, count: 4), code == [0, 0, 0, 0] {
                _ = send(fd, [UInt8(ascii: "X"), 0, 0, 0, 4])
            }
            return .accepting
        case UInt8(ascii: "E"):
            guard length >= 4, length <= 64 * 1024, let body = receive(fd, count: length - 4) else {
                return .unknown("a malformed error answer")
            }
            let fields = Self.errorFields(body)
            if fields["C"] == "57P03" { return .unknown(fields["M"] ?? "the server is not accepting connections yet") }
            return .accepting
        default:
            return .unknown("an unexpected answer to the startup message")
        }
    }

    /// The protocol 3.0 startup message: length, version 196608, then name/value pairs.
    static func startupMessage(user: String, database: String) -> [UInt8] {
        var body: [UInt8] = [0, 3, 0, 0]
        for (name, value) in [("user", user), ("database", database), ("application_name", "runbook wait-ready")] {
            body += Array(name.utf8) + [0] + Array(value.utf8) + [0]
        }
        body.append(0)
        let length = UInt32(body.count + 4)
        return [UInt8(length >> 24), UInt8((length >> 16) & 0xff), UInt8((length >> 8) & 0xff), UInt8(length & 0xff)] + body
    }

    /// An ErrorResponse's fields by their one-letter codes (`C`: SQLSTATE, `M`: message).
    static func errorFields(_ body: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        var i = 0
        while i < body.count, body[i] != 0 {
            let code = String(UnicodeScalar(body[i]))
            var end = i + 1
            while end < body.count, body[end] != 0 { end += 1 }
            fields[code] = String(decoding: body[(i + 1)..<end], as: UTF8.self)
            i = end + 1
        }
        return fields
    }

    private func connect(_ fd: Int32) -> String? {
        var status: Int32
        switch address {
        case .unixSocket(let path):
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { return "socket path too long: \(path)" }
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in
                raw.copyBytes(from: bytes)
                raw[bytes.count] = 0
            }
            status = Self.connect(fd, to: &addr)
        case .loopback(let host, let port, let ipv6):
            if ipv6 {
                var addr = sockaddr_in6()
                addr.sin6_family = sa_family_t(AF_INET6)
                addr.sin6_port = port.bigEndian
                inet_pton(AF_INET6, host, &addr.sin6_addr)
                status = Self.connect(fd, to: &addr)
            } else {
                var addr = sockaddr_in()
                addr.sin_family = sa_family_t(AF_INET)
                addr.sin_port = port.bigEndian
                inet_pton(AF_INET, host, &addr.sin_addr)
                status = Self.connect(fd, to: &addr)
            }
        }
        return status == 0 ? nil : "connecting to \(place): \(String(cString: strerror(errno)))"
    }

    /// `connect(2)` with any of the sockaddr structures.
    private static func connect<SocketAddress>(_ fd: Int32, to address: inout SocketAddress) -> Int32 {
        withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<SocketAddress>.size)) }
        }
    }

    private func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }

    private func receive(_ fd: Int32, count: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = buffer[filled...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return nil }
            filled += n
        }
        return buffer
    }
}
