@testable import RunbookActions
import XCTest

/// `GlobalsScript` on what PostgreSQL 15.18's `pg_dumpall --globals-only` really wrote for a
/// cluster with an owner role (password, settings, comment, connection limit, expiry), a
/// read-only group role and a member of it.
final class GlobalsScriptTests: XCTestCase {
    static let dump = #"""
        --
        -- PostgreSQL database cluster dump
        --

        \restrict BxwZ0J3p630qxm7VRcL3ce0JC10oAQUEYumzDdyM0oGsh9tZKlfO8Wi5MgYfiox

        SET default_transaction_read_only = off;

        SET client_encoding = 'UTF8';
        SET standard_conforming_strings = on;

        --
        -- Roles
        --

        CREATE ROLE app_reader;
        ALTER ROLE app_reader WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;
        CREATE ROLE aqstream;
        ALTER ROLE aqstream WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS;
        CREATE ROLE event_owner;
        ALTER ROLE event_owner WITH NOSUPERUSER INHERIT NOCREATEROLE CREATEDB LOGIN NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 10 PASSWORD 'SCRAM-SHA-256$4096:iOFzJv0z/A7dh/p2vYYa8g==$GR04VFNQeHm2L+cl8x/38bQ2Ha9nVj6AbiY+w8Id+Nc=:S/lbZvaLnbcIIEi1udh3h7NNSJZ3dy1APlx5Rh2f6Kw=' VALID UNTIL '2030-01-01 00:00:00+00';
        COMMENT ON ROLE event_owner IS 'owns the ''event'' schema; -- not a comment';
        CREATE ROLE reader_user;
        ALTER ROLE reader_user WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS PASSWORD 'SCRAM-SHA-256$4096:4l9LRXLVLCkYjAKhX4eDwQ==$RL1dECiwMg+HsbYreRV/etyVHq6sY9Hyffk6h20XeTE=:6UypvCdaO7EUmU7/dNhpqxBOFIM7IGW8awS9fEGx3lA=';

        --
        -- User Configurations
        --

        --
        -- User Config "event_owner"
        --

        ALTER ROLE event_owner SET search_path TO 'event_service', 'public';


        --
        -- Role memberships
        --

        GRANT app_reader TO event_owner WITH ADMIN OPTION GRANTED BY aqstream;
        GRANT app_reader TO reader_user GRANTED BY aqstream;
        GRANT event_owner TO aqstream GRANTED BY aqstream;






        \unrestrict BxwZ0J3p630qxm7VRcL3ce0JC10oAQUEYumzDdyM0oGsh9tZKlfO8Wi5MgYfiox

        --
        -- PostgreSQL database cluster dump complete
        --

        """#

    func testClassifiesEveryStatementOfARealDump() throws {
        let script = try GlobalsScript.parse(Self.dump)
        XCTAssertEqual(script.roles, ["app_reader", "aqstream", "event_owner", "reader_user"])
        XCTAssertEqual(script.statements.filter { $0.subject == .session }.count, 3)
        XCTAssertEqual(script.statements.filter { $0.subject == .role("event_owner") }.count, 4)
        XCTAssertTrue(script.statements.contains { $0.subject == .membership(role: "app_reader", member: "reader_user") })
        let comment = try XCTUnwrap(script.statements.first { $0.text.hasPrefix("COMMENT") })
        XCTAssertEqual(comment.text, "COMMENT ON ROLE event_owner IS 'owns the ''event'' schema; -- not a comment'", "quotes hide ; and --")
        XCTAssertEqual(comment.line, 22)
    }

    func testExistingRolesAreNeitherCreatedNorAltered() throws {
        let restoring = try GlobalsScript.parse(Self.dump).restoring(existing: ["aqstream", "postgres"])
        XCTAssertEqual(restoring.created, ["app_reader", "event_owner", "reader_user"])
        XCTAssertEqual(restoring.kept, ["aqstream"])
        XCTAssertFalse(restoring.sql.contains("ROLE aqstream"), restoring.sql)
        XCTAssertEqual(restoring.skippedMemberships, ["event_owner TO aqstream"], "granting to an existing role would alter it")
        XCTAssertTrue(restoring.sql.contains("GRANT app_reader TO event_owner WITH ADMIN OPTION GRANTED BY aqstream;\n"))
        XCTAssertTrue(restoring.sql.contains("PASSWORD 'SCRAM-SHA-256$4096:iOFzJv0z"), "the password hash is restored")
        XCTAssertTrue(restoring.sql.contains("ALTER ROLE event_owner SET search_path TO 'event_service', 'public';\n"))
        XCTAssertFalse(restoring.sql.contains("\\restrict"))
        XCTAssertTrue(restoring.sql.hasPrefix("SET default_transaction_read_only = off;\n"))
    }

    func testNothingToRunWhenEveryRoleExists() throws {
        let restoring = try GlobalsScript.parse(Self.dump).restoring(existing: ["app_reader", "aqstream", "event_owner", "reader_user"])
        XCTAssertEqual(restoring.created, [])
        XCTAssertEqual(restoring.sql, "")
    }

    func testQuotedNamesKeepTheirCaseAndBareNamesFold() throws {
        let script = try GlobalsScript.parse(#"""
            CREATE ROLE "Event ""Owner""";
            ALTER ROLE "Event ""Owner""" WITH LOGIN;
            CREATE ROLE Reader;
            GRANT Reader TO "Event ""Owner""" GRANTED BY aqstream;
            """#)
        XCTAssertEqual(script.roles, ["Event \"Owner\"", "reader"])
        let restoring = script.restoring(existing: ["reader"])
        XCTAssertEqual(restoring.created, ["Event \"Owner\""])
        XCTAssertEqual(restoring.sql, "CREATE ROLE \"Event \"\"Owner\"\"\";\nALTER ROLE \"Event \"\"Owner\"\"\" WITH LOGIN;\nGRANT Reader TO \"Event \"\"Owner\"\"\" GRANTED BY aqstream;\n")
    }

    func testTablespacesAreListedNotCreated() throws {
        let script = try GlobalsScript.parse("""
            CREATE ROLE a;
            CREATE TABLESPACE fast OWNER a LOCATION '/mnt/ssd/pg';
            GRANT ALL ON TABLESPACE fast TO a;
            """)
        XCTAssertEqual(script.tablespaces, ["fast"])
        XCTAssertEqual(script.restoring(existing: []).sql, "CREATE ROLE a;\n")
    }

    func testParameterGrantsFollowTheirGrantees() throws {
        let script = try GlobalsScript.parse("""
            CREATE ROLE a;
            CREATE ROLE b;
            GRANT SET ON PARAMETER work_mem TO a;
            GRANT ALTER SYSTEM ON PARAMETER wal_level TO b;
            """)
        XCTAssertEqual(script.restoring(existing: ["b"]).sql, "CREATE ROLE a;\nGRANT SET ON PARAMETER work_mem TO a;\n")
    }

    func testAnUnknownStatementRefusesTheWholeScriptWithoutQuotingIt() {
        XCTAssertThrowsError(try GlobalsScript.parse("CREATE ROLE a;\nDROP ROLE aqstream;\n")) { error in
            XCTAssertEqual("\(error)", "line 2: a globals dump holds no statement starting \"drop role aqstream\"; refusing to restore a script this reader does not understand")
        }
    }

    func testAShellEscapeIsRefused() {
        XCTAssertThrowsError(try GlobalsScript.parse("CREATE ROLE a;\n\\! rm -rf /\n")) { error in
            XCTAssertEqual("\(error)", "line 2: psql command \\! is not part of a globals dump; refusing to run it")
        }
    }

    func testATruncatedScriptIsRefused() {
        XCTAssertThrowsError(try GlobalsScript.parse("CREATE ROLE a;\nALTER ROLE a WITH LOGIN PASSWORD 'SCRAM")) { error in
            XCTAssertTrue("\(error)".hasPrefix("line 2: the script ends inside a statement"), "\(error)")
        }
    }
}
