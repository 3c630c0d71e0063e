import RunbookActions
import XCTest
@testable import RunbookCore

/// A profile's host group: each member becomes its own targets (the shape on the member's
/// ssh host), and a runbook loops over the members with `${targets.NAME.members}`.
final class HostGroupTests: XCTestCase {
    let fleet = """
    profile: p
    secrets:
      pg_password: {env: PG_PASSWORD}
    targets:
      db_hosts:
        group:
          shape:
            postgres: {host: /var/run/postgresql, user: postgres, password: "${secrets.pg_password}"}
          ssh: {user: backup, port: 22, identity_file: /etc/runbook/fleet_key, known_hosts: /etc/runbook/known_hosts}
          members:
            db1: {host: 10.0.0.1}
            db2: {host: 10.0.0.2, port: 2222, user: root}
      web:
        group:
          shape: {ssh: {user: deploy, known_hosts: /etc/runbook/known_hosts}}
          members:
            web1: {host: 10.0.1.1}
      local_db: {postgres: {via: local}}
    """

    let loop = """
    runbook: t
    summary: s
    requires: [db_hosts]
    steps:
      - id: backup
        for_each: ${targets.db_hosts.members}
        as: host
        action: test.dump
        with: {target: "${host}", database: app, to: "/backups/${host}.dump"}
    """

    func profile(_ yaml: String) throws -> Profile {
        let loaded = ProfileLoader.load(document: YAMLDocument.parse(Data(yaml.utf8), path: "p.yaml"))
        XCTAssertEqual(loaded.diagnostics.map(\.description), [])
        return try XCTUnwrap(loaded.profile)
    }

    func testEachMemberIsTheShapeOnItsOwnSSHHostWithTheSharedKeysUnderItsOwn() throws {
        let p = try profile(fleet)
        XCTAssertEqual(p.groupMembers, ["db_hosts": ["db1", "db2"], "web": ["web1"]])
        for (member, host, port, user) in [("db1", "10.0.0.1", 22, "backup"), ("db2", "10.0.0.2", 2222, "root")] {
            let pg = try XCTUnwrap(p.target(member)?.binding.configuration(as: PostgresTarget.self), member)
            XCTAssertEqual(pg.via, .ssh)
            XCTAssertEqual(pg.ssh, "db_hosts.\(member)")
            XCTAssertEqual(pg.host, "/var/run/postgresql")
            XCTAssertEqual(pg.passwordSecret, "pg_password")
            let ssh = try XCTUnwrap(p.target("db_hosts.\(member)")?.binding.configuration(as: SSHTarget.self), member)
            XCTAssertEqual(ssh, SSHTarget(host: host, port: port, user: user, identityFile: "/etc/runbook/fleet_key",
                                          knownHosts: "/etc/runbook/known_hosts"))
        }
        // A group of plain ssh hosts: each member is the host itself.
        XCTAssertEqual(p.target("web1")?.binding.configuration(as: SSHTarget.self),
                       SSHTarget(host: "10.0.1.1", user: "deploy", knownHosts: "/etc/runbook/known_hosts"))
    }

    func testALoopOverTheGroupRunsOncePerMember() throws {
        let scope = { () -> Scope in
            var s = Scope(params: [:], secretNames: [], runID: "r", startedAt: Date(), stateDir: "/s")
            s.groupMembers = (try? self.profile(self.fleet))?.groupMembers ?? [:]
            return s
        }()
        let node = YNode(.scalar("${targets.db_hosts.members}", quoted: false), at: SourceLocation(file: "t.yaml", line: 1, column: 1))
        XCTAssertEqual(try Evaluator(scope: scope).value(node), .list([.string("db1"), .string("db2")]))
        XCTAssertEqual(check(TargetGroupRule(), loop, profile: try profile(fleet)), [])
    }

    func testALoopOverAGroupTheProfileDoesNotHaveIsRefusedWithTheGroupsItHas() throws {
        let withoutGroup = try profile(fleet.replacingOccurrences(of: "  db_hosts:\n", with: "  db_host:\n"))
        let d = check(TargetGroupRule(), loop, profile: withoutGroup)
        XCTAssertEqual(render(d), [
            #"t.yaml:6:15: error: profile "p" has no group "db_hosts"; did you mean "db_host"? in p.yaml [target-group]"#,
            "note: groups in p.yaml: db_host, web",
        ])
        let notAGroup = check(TargetGroupRule(), loop.replacingOccurrences(of: "db_hosts", with: "local_db"), profile: try profile(fleet))
        XCTAssertEqual(headlines(notAGroup), [#"t.yaml:6:15: error: target "local_db" is a postgres target, not a group in p.yaml [target-group]"#])
    }

    func testAShapeThatNamesItsOwnHostOrGoesAnotherWayIsRefused() throws {
        let named = ProfileLoader.load(document: YAMLDocument.parse(Data(fleet.replacingOccurrences(
            of: "postgres: {host:", with: "postgres: {ssh: elsewhere, host:").utf8), path: "p.yaml"))
        XCTAssertEqual(headlines(named.diagnostics), [
            #"p.yaml:8:20: error: the shape of group "db_hosts" sets "ssh", but each member is its own ssh host; remove it [target-group]"#,
        ])
        let local = ProfileLoader.load(document: YAMLDocument.parse(Data(fleet.replacingOccurrences(
            of: "postgres: {host:", with: "postgres: {via: local, host:").utf8), path: "p.yaml"))
        XCTAssertEqual(headlines(local.diagnostics), [
            #"p.yaml:8:25: error: the shape of group "db_hosts" is via: "local", but its members are reached through their ssh hosts: via: ssh [target-group]"#,
        ])
    }

    func testAMemberNamedLikeAnotherTargetIsRefused() throws {
        let clash = ProfileLoader.load(document: YAMLDocument.parse(Data(fleet.replacingOccurrences(of: "web1:", with: "local_db:").utf8), path: "p.yaml"))
        XCTAssertEqual(headlines(clash.diagnostics), [
            #"p.yaml:18:3: error: target "local_db" is defined twice: a group member and another target have that name [target-group]"#,
        ])
        XCTAssertEqual(clash.diagnostics.first?.notes, ["the other is at p.yaml:17:9"])
    }
}
