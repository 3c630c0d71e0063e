import Foundation
import RunbookActions
import RunbookCore
import XCTest

/// A target kind declared here, in a test, with no change to Core or the CLI: the only step
/// is a catalog that lists it. It must then load, validate, appear in the schema and in the
/// generated part of docs/format.md exactly as the built-in kinds do.
struct WebhookTarget: TargetConfiguration {
    static let kind = TargetKindSpec(TargetKindID("webhook"), of: WebhookTarget.self, summary: "A notification webhook.", keys: [
        TargetKeySpec("url", .string, required: true, "Where notifications are posted."),
        TargetKeySpec("token", .secret, "Bearer token, as `${secrets.NAME}`."),
        TargetKeySpec("retries", .int(min: 0, max: 10), default: "3", "How often a failed post is retried."),
        TargetKeySpec("relay", .target(.http), "The relay to post through."),
    ], via: [
        TargetVia("direct", "Post to the URL directly."),
        TargetVia("relay", keys: ["relay"], required: ["relay"], "Post through an http relay."),
    ])

    var url: String
    var token: String?
    var retries: Int
    var relay: String?

    init(fields: TargetFields) {
        url = fields.string("url") ?? ""
        token = fields.secret("token")
        retries = fields.int("retries") ?? 0
        relay = fields.string("relay")
    }

    var secretNames: [String] { token.map { [$0] } ?? [] }
}

final class ToyTargetKindTests: XCTestCase {
    let kinds = TargetKindCatalog(Registry.targetKinds.kinds + [WebhookTarget.kind])

    func load(_ yaml: String) -> ProfileLoader.Loaded {
        ProfileLoader.load(document: YAMLDocument.parse(Data(yaml.utf8), path: "p.yaml"), kinds: kinds)
    }

    func testADeclaredKindLoadsIntoItsTypedTarget() throws {
        let loaded = load("""
        profile: p
        secrets:
          tok: {env: TOK}
        targets:
          app: {http: {base_url: "http://127.0.0.1:1"}}
          hook:
            webhook:
              via: relay
              url: http://127.0.0.1:2/notify
              token: "${secrets.tok}"
              relay: app
        """)
        XCTAssertEqual(loaded.diagnostics.map(\.description), [])
        let decl = try XCTUnwrap(loaded.profile?.target("hook"))
        XCTAssertEqual(decl.binding.kind, TargetKindID("webhook"))
        let hook = try XCTUnwrap(decl.binding.configuration(as: WebhookTarget.self))
        XCTAssertEqual(hook.url, "http://127.0.0.1:2/notify")
        XCTAssertEqual(hook.token, "tok")
        XCTAssertEqual(hook.retries, 3, "the declared default")
        XCTAssertEqual(hook.relay, "app")
        XCTAssertEqual(decl.binding.secretNames, ["tok"])
        XCTAssertNil(decl.binding.configuration(as: HTTPTarget.self))
        let call = ResolvedCall(spec: ActionSpec("toy.notify", summary: "s", inputs: []), stepID: "s", inputs: [:], targets: ["to": decl])
        XCTAssertEqual(try call.target("to", as: WebhookTarget.self).url, "http://127.0.0.1:2/notify")
        XCTAssertThrowsError(try call.target("to", as: HTTPTarget.self)) { error in
            XCTAssertEqual("\(error)", #"input "to": target "hook" is a webhook target, not a http target"#)
        }
    }

    func testADeclaredKindIsValidatedAtLineAndColumn() {
        let loaded = load("""
        profile: p
        targets:
          app: {compose: {project_dir: /opt}}
          a:
            webhook:
              urll: http://x
              retries: 11
              relay: app
          b:
            webhook: {via: relay, url: http://x, token: hunter2}
          c:
            webhok: {url: http://x}
        """)
        XCTAssertEqual(headlines(loaded.diagnostics), [
            #"p.yaml:4:3: error: target "a" names http target "app" in "relay", which is a compose target in this profile [missing-target]"#,
            #"p.yaml:6:7: error: webhook target "a" needs "url" [missing-key]"#,
            #"p.yaml:6:7: error: unknown key "urll" in webhook target "a"; did you mean "url"? [unknown-key]"#,
            #"p.yaml:7:16: error: "retries" must be at most 10, got 11 [range]"#,
            #"p.yaml:8:7: error: "relay" applies only with via: relay, and webhook target "a" is via: direct [target-via]"#,
            #"p.yaml:10:14: error: webhook target "b" with via: relay needs "relay" [missing-key]"#,
            #"p.yaml:10:49: error: "token" must reference a secret as "${secrets.NAME}"; secret values are never written in profiles [literal-secret]"#,
            #"p.yaml:12:5: error: unknown target kind "webhok"; did you mean "webhook"? [target-kind]"#,
        ])
    }

    func testActionsAskForTheKindByItsDeclaration() {
        let notify = FakeAction(spec: ActionSpec("toy.notify", summary: "Notify", inputs: [
            InputSpec("to", .target(WebhookTarget.kind.name), required: true, "The webhook."),
        ]))
        let profile = load("""
        profile: p
        targets:
          hook: {webhook: {url: http://x}}
          app: {http: {base_url: http://y}}
        """).profile
        let yaml = """
        runbook: t
        summary: s
        requires: [hook, app]
        steps:
          - {id: a, action: toy.notify, with: {to: hook}}
          - {id: b, action: toy.notify, with: {to: app}}
        """
        XCTAssertEqual(headlines(check(MissingTargetRule(), yaml, profile: profile, catalog: ActionCatalog([notify]))), [
            #"t.yaml:6:44: error: target "app" is a http target in profile "p"; toy.notify needs a webhook target [missing-target]"#,
        ])
    }

    func testADeclaredKindIsInTheProfileSchema() {
        let schema = ProfileSchema.generate(kinds: kinds)
        guard case .object(let root) = schema, case .object(let defs)? = root["$defs"],
              case .object(let target)? = defs["target"], case .object(let byKind)? = target["properties"] else {
            return XCTFail("no $defs.target")
        }
        XCTAssertEqual(byKind["webhook"], ["$ref": "#/$defs/target.webhook"])
        XCTAssertEqual(defs["target.webhook"], [
            "type": "object",
            "description": "A notification webhook.",
            "additionalProperties": false,
            "required": ["url"],
            "properties": [
                "via": ["enum": ["direct", "relay"],
                        "description": "How the target is reached (default direct): direct: Post to the URL directly. relay: Post through an http relay."],
                "url": ["type": "string", "description": "Where notifications are posted. Required."],
                "token": ["type": "string", "pattern": "^\\$\\{secrets\\.[A-Za-z0-9_-]+\\}$",
                          "description": "Bearer token, as `${secrets.NAME}`."],
                "retries": ["type": "integer", "minimum": 0, "maximum": 10, "description": "How often a failed post is retried. Default: 3."],
                "relay": ["type": "string", "description": "The relay to post through. Only with via: relay."],
            ],
            "allOf": [[
                "if": ["properties": ["via": ["const": "relay"]], "required": ["via"]],
                "then": ["required": ["relay"]],
                "else": ["properties": ["relay": false]],
            ]],
        ])
    }

    func testADeclaredKindIsDocumented() throws {
        let targets = try XCTUnwrap(FormatReference.sections(kinds: kinds).first { $0.name == "targets" })
        XCTAssertTrue(targets.markdown.hasPrefix("Each target has exactly one kind: `postgres`, `compose`, `s3`, `http`, `ssh`, `webhook`.\n"))
        XCTAssertTrue(targets.markdown.hasSuffix("""
        **`webhook`**: A notification webhook.

        | key | type | meaning |
        |---|---|---|
        | `via` | `direct` or `relay` | how the target is reached. `direct` (default): Post to the URL directly. `relay`: Post through an http relay. |
        | `url` | string | Required. Where notifications are posted. |
        | `token` | `${secrets.NAME}` | Bearer token, as `${secrets.NAME}`. |
        | `retries` | integer, 0-10 | How often a failed post is retried. Default `3`. |
        | `relay` | name of a `http` target | The relay to post through. Required with, and only with, `via: relay`. |

        """), targets.markdown)
    }
}
