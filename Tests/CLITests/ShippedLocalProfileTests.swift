import Foundation
import XCTest

/// The shipped runbooks that manage a compose stack, planned with the shipped local profile,
/// which has no `stack` target: with `manage_stack=false` they plan cleanly (the compose steps
/// SKIPPED, nothing "cannot plan"); without it they are refused with the step that needs it.
final class ShippedLocalProfileTests: XCTestCase {
    func testStackManagingRunbooksPlanWithoutAStackWhenTheyDoNotManageIt() throws {
        for name in ["restore-clean", "disaster-recovery"] {
            let out = try RunbookBinary.run(["plan", name, "--profile", "local", "--param", "manage_stack=false"])
            XCTAssertEqual(out.status, 0, "\(name): \(out.stderr)")
            XCTAssertFalse(out.stdout.contains("cannot plan"), "\(name):\n\(out.stdout)")
            XCTAssertTrue(out.stdout.contains("when: ${params.manage_stack}  -> SKIPPED"), "\(name):\n\(out.stdout)")
        }
    }

    func testWithoutTheParamTheStepThatNeedsTheStackIsNamed() throws {
        let out = try RunbookBinary.run(["plan", "restore-clean", "--profile", "local"])
        XCTAssertEqual(out.status, 1, out.stdout)
        XCTAssertTrue(out.stderr.contains(#"runbooks/restore-clean.yaml:53:15: error: profile "local" has no target "stack", which step "stop-services" uses: its when: ${params.manage_stack} holds with these params; set the params so that it does not hold, or add the target to profiles/local.yaml [missing-target]"#),
                      out.stderr)
    }
}
