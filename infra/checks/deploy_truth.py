#!/usr/bin/env python3
"""Checks the stack as AWS will deploy and run it (run by `make test`, offline, a few seconds).

template.yaml goes through the SAM translator once; the CloudFormation it produces is resolved
for each scenario below (the defaults, and every option switched on) and each check module
asserts on it. Then each function's policy is written out with its resources widened to "*"
(moto matches actions, not resource ARNs) for the integration tests to run under:
`target/iam-policies/<binary>.json`.

    deploy_truth.py [--policies DIR]
"""
import json
import sys
import time

import cfn
import check_api
import check_required
import check_roles
import check_vpc

CHECKS = [check_api, check_roles, check_required, check_vpc]

KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
SCENARIOS = {
    "defaults": {},
    "every option": {
        "KmsKeyArn": KEY,
        "EventBusName": "existing-bus",
        "SiemEndpointUrl": "https://siem.example.com/hook",
        "CreateExampleSecret": "true",
        "RotationAdminSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:ops/rotation-AbCdEf",
        "ApiAllowedPrincipalArns": "arn:aws:iam::123456789012:role/responders",
        "ApiAllowedOrganizationId": "o-abcdefghij",
        "ApiGatewayCloudWatchRole": "existing",
        "VpcSubnetIds": "subnet-0a,subnet-0b",
        "VpcSecurityGroupIds": "sg-0a",
        "VpcEndpoints": "create",
        "VpcId": "vpc-0a",
        "VpcRouteTableIds": "rtb-0a,rtb-0b",
        "PermissionsBoundaryArn": "arn:aws:iam::123456789012:policy/boundary",
    },
}

# The defaults plus the options the integration tests exercise (their permissions are conditional).
TESTED_OPTIONS = {"SecurityHubFindings": "true"}

# moto names some actions after the API operation rather than the IAM action.
MOTO_ALIASES = {"lambda:InvokeFunction": ["lambda:Invoke"]}


def stacks(sam):
    known = set(sam.get("Parameters", {}))
    for name, params in SCENARIOS.items():
        params = {k: v for k, v in params.items() if k in known}
        yield name, cfn.Stack(cfn.transform(sam, params), params)


def problems(sam):
    out = []
    for name, stack in stacks(sam):
        for check in CHECKS:
            out += [f"[{name}] {check.__name__}: {p}" for p in check.check(stack)]
    return out


def function_policies(stack):
    """binary name -> the Allow statements of its role, resources "*", conditions dropped."""
    out = {}
    for fn in stack.functions():
        binary = stack.resources[fn].get("Metadata", {}).get("BuildProperties", {}).get("Binary", fn)
        actions = set()
        for st in stack.statements(stack.role_of(fn)):
            if st.get("Effect") == "Allow":
                actions.update(cfn.as_list(st["Action"]))
        for a in list(actions):
            actions.update(MOTO_ALIASES.get(a, []))
        out[binary] = {"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": sorted(actions), "Resource": "*"}]}
    return out


def main(argv):
    started = time.monotonic()
    sam = cfn.load_sam()
    found = problems(sam)
    for p in found:
        print(f"deploy-truth: {p}")
    if "--policies" in argv:
        out = cfn.pathlib.Path(argv[argv.index("--policies") + 1])
        out.mkdir(parents=True, exist_ok=True)
        params = {k: v for k, v in TESTED_OPTIONS.items() if k in sam.get("Parameters", {})}
        stack = cfn.Stack(cfn.transform(sam, params), params)
        for binary, policy in function_policies(stack).items():
            (out / f"{binary}.json").write_text(json.dumps(policy, indent=1) + "\n")
    took = time.monotonic() - started
    if found:
        sys.exit(f"deploy-truth: {len(found)} problem(s) in the stack as deployed ({took:.1f} s)")
    print(f"deploy-truth: {len(SCENARIOS)} scenarios, {len(CHECKS)} checks, no problems ({took:.1f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
