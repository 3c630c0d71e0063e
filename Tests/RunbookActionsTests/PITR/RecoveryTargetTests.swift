import XCTest
import RunbookCore
@testable import RunbookActions

final class RecoveryTargetTests: XCTestCase {
    func call(_ inputs: [String: Value]) -> ResolvedCall {
        ResolvedCall(spec: ActionSpec("pitr.test", summary: "", inputs: RecoveryTarget.inputs), stepID: "s", inputs: inputs)
    }

    func testEachTargetKind() throws {
        XCTAssertEqual(try RecoveryTarget.from(call(["target_time": .string("2024-01-15 14:30:00+03")])),
                       .time(Instant(microseconds: 1_705_318_200 * 1_000_000)))
        XCTAssertEqual(try RecoveryTarget.from(call(["target_lsn": .string("0/3000060")])), .lsn(LSN(0x300_0060)))
        XCTAssertEqual(try RecoveryTarget.from(call(["target_name": .string("before-migration")])), .name("before-migration"))
        XCTAssertEqual(try RecoveryTarget.from(call(["target_immediate": .bool(true), "target_time": .null])), .immediate)
        XCTAssertEqual(try RecoveryTarget.from(call(["target_latest": .bool(true), "target_immediate": .bool(false)])), .latest)
    }

    func testNoneOrSeveralTargetsAreRefused() {
        XCTAssertThrowsError(try RecoveryTarget.from(call(["target_immediate": .bool(false)]))) {
            XCTAssertEqual("\($0)", "input \"target_time\": give one recovery target: target_time, target_lsn, target_name, target_immediate: true or target_latest: true")
        }
        XCTAssertThrowsError(try RecoveryTarget.from(call(["target_time": .string("2024-01-15 14:30:00"), "target_name": .string("x")]))) {
            XCTAssertEqual("\($0)", "input \"target_time\": give only one recovery target; got target_time and target_name")
        }
        XCTAssertThrowsError(try RecoveryTarget.from(call(["target_time": .string("15/01/2024")])))
        XCTAssertThrowsError(try RecoveryTarget.from(call(["target_lsn": .string("3000060")])))
    }

    /// The empty settings come first: PostgreSQL refuses any recovery_target* assignment, even
    /// an empty one, after another target was set ("multiple recovery targets specified").
    func testConfigTextEmptiesTheOtherTargetsBeforeSettingTheChosenOne() throws {
        let text = RecoveryTarget.time(try XCTUnwrap(Instant.parse("2024-01-15 14:30:00.25Z")))
            .configText(restoreCommand: ArchiveCommands.restoreCommand(archiveDir: "/arch/"), runID: "r1")
        XCTAssertEqual(text, """
            # point-in-time recovery written by runbook (run r1)
            restore_command = 'cp /arch/%f %p'
            recovery_target = ''
            recovery_target_lsn = ''
            recovery_target_name = ''
            recovery_target_xid = ''
            recovery_target_time = '2024-01-15 14:30:00.250000+00'
            recovery_target_inclusive = 'on'
            recovery_target_timeline = 'current'
            recovery_target_action = 'promote'

            """)
    }

    func testRestorePointNamesAreQuotedAsSQLLiterals() {
        let lines = RecoveryTarget.name("it's").configText(restoreCommand: "cp /a/%f %p", runID: "r")
        XCTAssertTrue(lines.contains("recovery_target_name = 'it''s'\n"))
        XCTAssertTrue(RecoveryTarget.immediate.configText(restoreCommand: "x", runID: "r").contains("recovery_target = 'immediate'\n"))
        let latest = RecoveryTarget.latest.configText(restoreCommand: "x", runID: "r")
        for key in ["recovery_target", "recovery_target_lsn", "recovery_target_name", "recovery_target_time", "recovery_target_xid"] {
            XCTAssertTrue(latest.contains("\n\(key) = ''\n"), key)
        }
    }
}
