"""VPC mode: the three functions together behind one egress (the address Genesys allowlists),
and, when the stack creates VPC endpoints, one for every AWS service the functions' code calls.

Services that Lambda itself uses on the function's behalf (logs, failure destinations, KMS,
network interfaces) do not go through the function's network; X-Ray traces leave through the
NAT gateway (documented in docs/deploying.md).
"""
from cfn import as_list

# Services the functions' code calls, by IAM prefix.
CODE_SERVICES = {"secretsmanager", "dynamodb", "events", "lambda"}
GATEWAY_SERVICES = {"dynamodb"}


def check(stack):
    problems = []
    fns = stack.functions()
    in_vpc = {fn for fn in fns if stack.props(fn).get("VpcConfig")}
    if in_vpc and in_vpc != set(fns):
        problems.append(f"only {sorted(in_vpc)} run in the VPC: the others would reach Genesys from another address")
    for fn in in_vpc:
        v = stack.props(fn)["VpcConfig"]
        if not v.get("SubnetIds") or not v.get("SecurityGroupIds"):
            problems.append(f"{fn}: VpcConfig needs subnets and security groups")
    endpoints = stack.of_type("AWS::EC2::VPCEndpoint")
    if not endpoints:
        return problems
    by_service = {}
    for eid, e in endpoints.items():
        name = e["Properties"]["ServiceName"]
        name = name.get("Fn::Sub", name) if isinstance(name, dict) else name
        by_service[name.rsplit(".", 1)[-1]] = (eid, e["Properties"])
    called = set()
    for fn in fns:
        for st in stack.statements(stack.role_of(fn)):
            called |= {a.split(":")[0] for a in as_list(st["Action"])} & CODE_SERVICES
    for service in sorted(called):
        if service not in by_service:
            problems.append(f"the functions call {service} but the stack creates no VPC endpoint for it")
            continue
        eid, p = by_service[service]
        if service in GATEWAY_SERVICES:
            if p.get("VpcEndpointType") != "Gateway" or not p.get("RouteTableIds"):
                problems.append(f"{eid}: {service} needs a gateway endpoint on the functions' route tables")
        elif p.get("VpcEndpointType") != "Interface" or not p.get("PrivateDnsEnabled") or not p.get("SubnetIds"):
            problems.append(f"{eid}: {service} needs an interface endpoint with private DNS in the functions' subnets")
    return problems
