#!/usr/bin/env python3
"""No permission nobody uses: after the integration tests, each function's role (from the
SAM-transformed template) must allow only actions that its code sent in the tests
(target/iam-observed/<binary>.txt, noted by tests/testkit/src/iam.rs from the requests
themselves) or that AWS needs on the function's behalf (the rules of check_required.py: logs,
traces, failure destinations, RotateSecret's invoke, ...).

Calls the role does not allow need no check here: moto enforced IAM during the tests, so such a
call failed its test.
"""
import sys

import cfn
import check_required
import deploy_truth

OBSERVED = cfn.ROOT / "target" / "iam-observed"

# Sent only by the real binaries under `cargo lambda watch` (functions/revocation/tests/
# over_http.rs passes only if they are): one watch serves both functions with one environment,
# the admin key, so these calls are neither noted nor enforced under the function's role.
OUT_OF_PROCESS = {
    "revocation": {
        "secretsmanager:GetSecretValue": "its admin credential, read by the wiring in main.rs",
        "secretsmanager:ListSecrets": "POST /v1/clients/{id}/rotate finds the managed secret",
        "lambda:InvokeFunction": "POST /v1/clients/{id}/rotate hands over to the rotation function",
    },
}


def main():
    stack = cfn.Stack(cfn.transform(cfn.load_sam()))
    needs = check_required.needs(stack)
    failed = False
    for binary, policy in deploy_truth.function_policies(stack).items():
        fn = next(f for f in stack.functions()
                  if stack.resources[f].get("Metadata", {}).get("BuildProperties", {}).get("Binary") == binary)
        role = stack.role_of(fn)
        allowed = set(policy["Statement"][0]["Action"]) - {
            alias for aliases in deploy_truth.MOTO_ALIASES.values() for alias in aliases}
        explained = {a for n in needs if n.principal == role for a in n.actions}
        path = OBSERVED / f"{binary}.txt"
        if not path.exists():
            print(f"iam: {binary}: nothing observed ({path} missing); run the tests through make test")
            failed = True
            continue
        observed = {line.strip() for line in path.read_text().splitlines() if line.strip()}
        elsewhere = set(OUT_OF_PROCESS.get(binary, {})) - observed
        unused = sorted(allowed - observed - explained - elsewhere)
        print(f"iam: {binary}: {len(allowed)} actions allowed, {len(observed & allowed)} sent by the tests, "
              f"{len(explained & allowed - observed)} needed by AWS on its behalf")
        for a in sorted(elsewhere & allowed):
            print(f"  out of process  {a}: {OUT_OF_PROCESS[binary][a]} (admin key, over_http.rs)")
        for a in unused:
            print(f"  UNUSED  {a}: {role} allows it; no test sent it and no rule in check_required.py needs it")
        failed |= bool(unused)
    if failed:
        sys.exit("iam: a role allows more than its function uses")
    print("iam: every allowed action is used")


if __name__ == "__main__":
    main()
