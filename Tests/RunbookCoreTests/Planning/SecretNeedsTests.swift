import Foundation
import RunbookActions
import RunbookCore
import XCTest

/// Which secrets a run needs, decided before its first step from `when:` conditions on
/// params, the targets each counted step uses, rollbacks and nested runbooks.
final class SecretNeedsTests: XCTestCase {
    let profileYAML = """
    profile: test
    secrets:
      pg: {env: PG_TEST}
      s3_secret: {env: S3_SECRET_TEST}
      other_pg: {env: OTHER_PG_TEST}
    targets:
      db: {postgres: {via: local, password: "${secrets.pg}"}}
      other: {postgres: {via: local, password: "${secrets.other_pg}"}}
      media: {s3: {endpoint: "http://127.0.0.1:9", access_key: minio, secret_key: "${secrets.s3_secret}"}}
    """

    func load(_ yaml: String, name: String = "t") throws -> Runbook {
        let loaded = RunbookLoader.load(document: YAMLDocument.parse(Data(yaml.utf8), path: "\(name).yaml"))
        XCTAssertEqual(loaded.diagnostics.map(\.description), [])
        return try XCTUnwrap(loaded.runbook)
    }

    func needs(_ runbook: Runbook, _ given: [String: String] = [:], siblings: [Runbook] = []) throws -> [String] {
        let profile = try XCTUnwrap(ProfileLoader.load(document: YAMLDocument.parse(Data(profileYAML.utf8), path: "p.yaml")).profile)
        let (params, diags) = ParamBinder.bind(runbook, given: given)
        XCTAssertEqual(diags, [])
        let byName = Dictionary(uniqueKeysWithValues: siblings.map { ($0.name, $0) })
        return SecretNeeds(catalog: Registry.catalog, profile: profile, runbookNamed: { byName[$0] }).names(for: runbook, params: params)
    }

    func testAStepSkippedByAParamNeedsNoneOfItsTargetsSecrets() throws {
        let rb = try load("""
        runbook: t
        summary: s
        params:
          media: {type: bool, default: true}
        requires: [db, media]
        steps:
          - id: ready
            action: postgres.wait-ready
            with: {target: db}
          - id: bucket
            when: ${params.media}
            action: s3.create-bucket
            with: {target: media, bucket: b}
        """)
        XCTAssertEqual(try needs(rb, ["media": "false"]), ["pg"])
        XCTAssertEqual(try needs(rb, ["media": "true"]), ["pg", "s3_secret"])
    }

    func testAConditionOnAStepOutputCountsTheStep() throws {
        let rb = try load("""
        runbook: t
        summary: s
        requires: [media]
        steps:
          - id: probe
            action: shell.run
            with: {command: "echo no"}
          - id: bucket
            when: ${steps.probe.outputs.stdout} == yes
            action: s3.create-bucket
            with: {target: media, bucket: b}
        """)
        XCTAssertEqual(try needs(rb), ["s3_secret"])
    }

    func testRollbacksChecksAndEnvironmentSecretsCount() throws {
        let rb = try load("""
        runbook: t
        summary: s
        secrets:
          token: {env: TOKEN_TEST}
          unused: {env: UNUSED_TEST}
        requires: [db, media]
        steps:
          - id: call
            action: shell.run
            with: {command: "true", env: {TOKEN: "${secrets.token}"}}
            require:
              - {check: s3.reachable, target: media}
            rollback:
              action: postgres.wait-ready
              with: {target: db}
        """)
        XCTAssertEqual(try needs(rb), ["pg", "s3_secret", "token"])
    }

    func testATargetNamedByALoopVariableCountsEachItemsTarget() throws {
        let rb = try load("""
        runbook: t
        summary: s
        params:
          servers: {type: list<string>, default: [db]}
        requires: [db, other]
        steps:
          - id: ready
            for_each: ${params.servers}
            as: server
            action: postgres.wait-ready
            with: {target: "${server}"}
        """)
        XCTAssertEqual(try needs(rb), ["pg"])
        XCTAssertEqual(try needs(rb, ["servers": "db,other"]), ["other_pg", "pg"])
    }

    func testNestedRunbooksCountWithTheParamsTheyArePassed() throws {
        let child = try load("""
        runbook: child
        summary: s
        params:
          mirror: {type: bool, default: true}
        secrets:
          child_token: {env: CHILD_TOKEN_TEST}
        requires: [media]
        steps:
          - id: bucket
            when: ${params.mirror}
            action: s3.create-bucket
            with: {target: media, bucket: b}
          - id: tell
            action: shell.run
            with: {command: "true", env: {T: "${secrets.child_token}"}}
        """, name: "child")
        let parent = try load("""
        runbook: parent
        summary: s
        params:
          media: {type: bool, default: true}
          mirror: {type: bool, default: true}
        steps:
          - id: nested
            when: ${params.media}
            action: runbook.run
            with: {runbook: child, params: {mirror: "${params.mirror}"}}
        """, name: "parent")
        XCTAssertEqual(try needs(parent, siblings: [child]), ["child_token", "s3_secret"])
        XCTAssertEqual(try needs(parent, ["mirror": "false"], siblings: [child]), ["child_token"])
        XCTAssertEqual(try needs(parent, ["media": "false"], siblings: [child]), [])
    }

    func testOnFailureStepsCount() throws {
        let rb = try load("""
        runbook: t
        summary: s
        requires: [db]
        steps:
          - id: work
            action: shell.run
            with: {command: "true"}
        on_failure:
          - id: check-db
            action: postgres.wait-ready
            with: {target: db}
        """)
        XCTAssertEqual(try needs(rb), ["pg"])
    }
}
