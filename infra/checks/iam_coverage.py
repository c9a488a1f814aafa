#!/usr/bin/env python3
"""Compares each function's IAM policy in template.yaml with the AWS actions its code used.

The adapters record every IAM action they call (shared/src/aws/iam.rs); `make test` runs the
function test suites with CREDGUARD_IAM_LOG=target/iam-observed. This check fails if a function
used an action its policy does not allow (it would fail in AWS), or if a policy allows an action
no code path used (not least privilege). Actions the Lambda service itself needs (logs, X-Ray,
the failure queue, KMS on our behalf) are listed in SERVICE_ACTIONS.
"""
import pathlib
import sys

from cfnlint.decode import decode

ROOT = pathlib.Path(__file__).resolve().parents[2]
FUNCTIONS = {
    "credguard-rotation": "RotationRole",
    "credguard-revocation": "RevocationRole",
    "credguard-audit": "AuditRole",
}
SERVICE_ACTIONS = {
    "logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords",
    "sqs:SendMessage", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey",
}


def statements(node):
    """Allow statements, looking through Fn::If branches."""
    if isinstance(node, list):
        for n in node:
            yield from statements(n)
    elif isinstance(node, dict):
        if "Fn::If" in node:
            for branch in node["Fn::If"][1:]:
                yield from statements(branch)
        elif node.get("Effect") == "Allow":
            yield node


def allowed(role):
    actions = set()
    for policy in role["Properties"].get("Policies", []):
        for st in statements(policy["PolicyDocument"]["Statement"]):
            a = st["Action"]
            actions.update([a] if isinstance(a, str) else a)
    return actions


def main():
    template, errors = decode(str(ROOT / "template.yaml"))
    if errors:
        sys.exit(f"iam: cannot read template.yaml: {errors}")
    log_dir = ROOT / "target" / "iam-observed"
    failed = False
    for function, role in FUNCTIONS.items():
        observed_file = log_dir / f"{function}.txt"
        if not observed_file.exists():
            print(f"iam: {function}: nothing observed ({observed_file} missing); run the tests with CREDGUARD_IAM_LOG")
            failed = True
            continue
        observed = {l.strip() for l in observed_file.read_text().splitlines() if l.strip()}
        policy = allowed(template["Resources"][role])
        missing = sorted(observed - policy)
        unused = sorted(policy - observed - SERVICE_ACTIONS)
        print(f"iam: {function}: {len(observed)} actions used, {len(policy)} allowed")
        for a in missing:
            print(f"  MISSING  {a}: the code calls it, {role} does not allow it")
        for a in unused:
            print(f"  UNUSED   {a}: {role} allows it, no test exercised a call")
        failed |= bool(missing or unused)
    if failed:
        sys.exit("iam: template.yaml and the code disagree")
    print("iam: every call is allowed and every permission is used")


if __name__ == "__main__":
    main()
