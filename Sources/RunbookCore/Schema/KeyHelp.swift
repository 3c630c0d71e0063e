import Foundation

/// One-line help for every key the loaders read; the JSON Schema carries it so
/// editors explain keys on hover. A test checks that every loader key has an entry.
enum KeyHelp {
    static let runbook: [String: String] = [
        "runbook": "The runbook's name; must equal the file name without .yaml.",
        "summary": "One line saying what the runbook does.",
        "description": "Longer explanation: when to use it, what it assumes.",
        "params": "Typed parameters, given with --param NAME=VALUE.",
        "secrets": "Secrets the steps use, read at run time from an environment variable or a file.",
        "requires": "Names of the targets the steps use; a profile binds them to real endpoints.",
        "locks": "Extra lock names held for the whole run, besides the runbook's own name.",
        "steps": "The steps, run in order.",
        "on_failure": "Steps that run after any failure (after rollback), e.g. to notify or escalate.",
        "outputs": "What a runbook that runs this one (runbook.run) can read as ${steps.CALL.outputs.NAME}: each name bound to ${steps.ID.outputs.NAME} of one of its steps.",
        "rto": "Recovery time objective: the run's time until a step succeeds is measured and recorded against target.",
    ]

    static let rto: [String: String] = [
        "target": "The objective, a duration such as 4h; the RTO achieved is recorded as met or missed against it.",
        "until": "The top-level step whose success ends the recovery (default: the last step).",
    ]

    static let step: [String: String] = [
        "id": "Unique step id: lowercase letters, digits, - and _. Outputs are read as ${steps.ID.outputs.NAME}.",
        "title": "What the step does, for people.",
        "action": "The action to run (family.verb).",
        "with": "The action's inputs.",
        "require": "Checks that must pass before the action runs (preconditions).",
        "verify": "Checks that must pass after the action ran (postconditions).",
        "rollback": "The action that undoes this step if a later step fails.",
        "confirm": "Marks the step destructive: this text is shown and an operator must confirm (or pass --yes).",
        "manual": "Checklist items a person must tick; the audit records who and when.",
        "for_each": "Run the step once per item: a list, or a reference to a list param or step output.",
        "as": "Name of the loop variable for for_each, used as ${NAME}.",
        "parallel": "How many for_each items run at once (default 1).",
        "timeout": "Maximum time for the action, e.g. 30s, 5m, 1h.",
        "retry": "Retry the action: attempts (total tries) and delay between them.",
        "on_failure": "What a failure of this step does: rollback (default), abort or continue.",
        "when": "Run the step only if this holds: ${params.X}, or A == B, or A != B.",
    ]

    static let param: [String: String] = [
        "type": "The param's type.",
        "default": "Value used when --param is not given; must satisfy type, allowed and pattern.",
        "required": "The run refuses to start without this param (unless it has a default).",
        "allowed": "The only values accepted.",
        "pattern": "A regular expression the whole value must match.",
        "description": "What the param means, for people.",
    ]

    static let secret: [String: String] = [
        "env": "Environment variable holding the secret.",
        "file": "File holding the secret (a trailing newline is stripped); keep it mode 0600.",
        "description": "What the secret is, for people.",
    ]

    static let profile: [String: String] = [
        "profile": "The profile's name; must equal the file name without .yaml.",
        "description": "Where this profile points, for people.",
        "secrets": "Secrets the targets use (passwords, keys), read from an environment variable or a file.",
        "targets": "Target names bound to real endpoints: each has exactly one kind.",
    ]

    static let target: [TargetKind: String] = [
        .postgres: "A PostgreSQL server, reached by the client tools locally or inside a compose service.",
        .compose: "A docker compose project.",
        .s3: "An S3-compatible endpoint (path-style addressing).",
        .http: "An HTTP service, by base URL.",
    ]

    static let targetKeys: [String: String] = [
        "via": "How the client tools reach the server: local (this host) or compose (docker compose exec).",
        "host": "Host name or socket directory (via: local); omitted means libpq's default.",
        "port": "TCP port.",
        "user": "Database user.",
        "password": "The password, as ${secrets.NAME}; passed as PGPASSWORD, never in argv.",
        "maintenance_database": "Database to connect to for CREATE/DROP DATABASE (default postgres).",
        "compose": "For via: compose, the name of the compose target.",
        "service": "For via: compose, the compose service running PostgreSQL.",
        "data_dir": "The server's data directory, for actions that manage the server itself (PITR).",
        "bin_dir": "The server's bin directory (pg_ctl), for actions that manage the server itself.",
        "project_dir": "The compose project directory.",
        "files": "Compose files (-f), relative to the project directory.",
        "project_name": "Compose project name (-p).",
        "endpoint": "The endpoint URL, e.g. http://127.0.0.1:9000.",
        "region": "Signing region (default us-east-1).",
        "access_key": "Access key id (an identifier, may be literal) or ${secrets.NAME}.",
        "secret_key": "Secret access key, as ${secrets.NAME}.",
        "base_url": "Base URL requests are made against.",
    ]
}
