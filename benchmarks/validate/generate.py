#!/usr/bin/env python3
"""Generates N runbooks of S steps each that `runbook validate` accepts.

Steps call the real actions and checks, read from `runbook schema runbook` (the same
declarations the validator uses), with inputs built from each input's declared type;
every third step is a manual checklist. Steps reference params, earlier steps and loop
variables so every rule has work to do.
Usage: generate.py RUNBOOK_BINARY OUT_DIR COUNT [STEPS]
"""
import json
import os
import re
import subprocess
import sys

TARGETS = {"postgres": "db", "compose": "stack", "s3": "media", "http": "web"}


def sample(type_name):
    """A literal that fits an input type as described in the schema ("Type: ...")."""
    if type_name.startswith("list of "):
        return [sample(type_name[len("list of "):])]
    if type_name.startswith("map of "):
        return {"RB_BENCH": sample(type_name[len("map of "):])}
    if type_name.startswith("one of "):
        return type_name[len("one of "):].split(", ")[0]
    if type_name.endswith(" target"):
        return TARGETS[type_name.split(" ")[0]]
    return {"int": 1, "bool": True, "duration": "30s", "identifier": "app_db", "path": "/var/backups/x",
            "sql": "SELECT 1", "string": "x"}.get(type_name, "x")


def calls(schema, kind):
    """(name, inputs) for every action ("with.") or check, with only required inputs."""
    out = []
    defs = schema.get("$defs", {})
    if kind == "action":
        for key in sorted(defs):
            if key.startswith("with."):
                out.append((key[len("with."):], defs[key]))
    else:
        for cond in defs.get("check", {}).get("allOf", []):
            name = cond["if"]["properties"]["check"]["const"]
            out.append((name, cond["then"]))
    result = []
    for name, spec in out:
        inputs = {}
        for input_name in spec.get("required", []):
            if input_name == "check":
                continue
            desc = spec["properties"][input_name].get("description", "")
            m = re.search(r"Type: (.*?)\.(?: |$)", desc)
            inputs[input_name] = sample(m.group(1) if m else "string")
        # runbook.run must name a runbook that exists; skip it rather than guess.
        if name != "runbook.run":
            result.append((name, inputs))
    return result


def scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if re.fullmatch(r"[A-Za-z_/][A-Za-z0-9_/.-]*", v) and v.lower() not in ("true", "false", "yes", "no", "on", "off", "null"):
        return v  # plain, as people write names and paths
    return json.dumps(v)  # a double-quoted YAML scalar


def block_yaml(value, indent=0):
    """Block-style YAML, as people write runbooks (flow style parses differently)."""
    pad = "  " * indent
    lines = []
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v:
                lines.append(f"{pad}{k}:")
                lines.extend(block_yaml(v, indent + 1))
            else:
                lines.append(f"{pad}{k}: {scalar(v) if not isinstance(v, (dict, list)) else json.dumps(v)}")
    else:
        for item in value:
            if isinstance(item, (dict, list)) and item:
                nested = block_yaml(item, indent + 1)
                lines.append(f"{pad}- " + nested[0].lstrip())
                lines.extend(nested[1:])
            else:
                lines.append(f"{pad}- {scalar(item)}")
    return lines


def step(i, actions, checks):
    step = {"id": f"step-{i}", "title": f"Step {i} of the generated runbook"}
    if i % 3 == 2 or not actions:
        step["manual"] = [f"Check ${{params.database}} after step {i}", "Tell ${params.owner} at ${run.started_at|%H:%M}"]
        return step
    name, inputs = actions[i % len(actions)]
    step["action"] = name
    step["with"] = inputs
    if checks:
        check_name, check_inputs = checks[i % len(checks)]
        step["verify"] = [dict({"check": check_name}, **check_inputs)]
    if i % 5 == 0:
        step["for_each"] = "${params.databases}"
        step["as"] = "item"
        step["parallel"] = 2
    step["timeout"] = "5m"
    step["retry"] = {"attempts": 2, "delay": "5s"}
    return step


def main():
    binary, out_dir, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    steps = int(sys.argv[4]) if len(sys.argv) > 4 else 30
    schema = json.loads(subprocess.run([binary, "schema", "runbook"], check=True, capture_output=True, text=True).stdout)
    actions, checks = calls(schema, "action"), calls(schema, "check")
    os.makedirs(out_dir, exist_ok=True)
    for n in range(count):
        name = f"generated-{n:05d}"
        doc = {
            "runbook": name,
            "summary": f"Generated runbook {n}",
            "params": {
                "database": {"type": "identifier", "default": "app_db"},
                "databases": {"type": "list<identifier>", "default": ["app_db", "billing"]},
                "owner": {"type": "string", "default": "ops"},
            },
            "requires": sorted(TARGETS.values()),
            "steps": [step(i, actions, checks) for i in range(steps)],
        }
        with open(os.path.join(out_dir, name + ".yaml"), "w") as f:
            f.write("\n".join(block_yaml(doc)) + "\n")
    print(f"{count} runbooks x {steps} steps in {out_dir} ({len(actions)} actions, {len(checks)} checks available)")


if __name__ == "__main__":
    main()
