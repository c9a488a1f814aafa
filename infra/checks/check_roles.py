"""Every role's statements and every function's invokers, as CloudFormation will create them.

- No wildcard actions; `Resource: "*"` only for actions that support no resource-level scoping.
- A service may assume a role only for this account (confused deputy), except those that pass
  no source context when they assume a role (TRUST_WITHOUT_SOURCE).
- Each function has its own role, trusted by Lambda only, writing only its own log group.
- Who may invoke each function (resource policies and identity policies together) is exactly
  the table below: changing it is a decision, made here on purpose.
- Every Lambda permission for a service names the source account or ARN.
"""
from cfn import as_list, ref_target

# Actions with no resource-level permissions (Service Authorization Reference), or whose
# resources do not exist before the call (a network interface Lambda creates).
UNSCOPED_ACTIONS = {
    "secretsmanager:ListSecrets",
    "xray:PutTraceSegments", "xray:PutTelemetryRecords",
    "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
}

TRUST_WITHOUT_SOURCE = {
    "lambda.amazonaws.com",      # execution roles
    "apigateway.amazonaws.com",  # the account-wide logging role, assumed for every API
}

INVOKERS = {
    "RotationFunction": {
        "secretsmanager.amazonaws.com",  # rotation steps of secrets it rotates
        "SchedulerRole",                 # the sweep
        "RevocationRole",                # rotate now, from the API
        "RotationRole",                  # RotateSecret makes Secrets Manager invoke it as the caller
    },
    "RevocationFunction": {
        "apigateway.amazonaws.com",      # the API
        "RevocationRole",                # itself: bulk revocations continue in the background
    },
    "AuditFunction": {"SchedulerRole"},
}


def check(stack):
    problems = []
    for role_id in stack.of_type("AWS::IAM::Role"):
        problems += trust(stack, role_id)
        for st in stack.statements(role_id):
            actions = as_list(st.get("Action", []))
            for a in actions:
                if a == "*" or a.endswith(":*"):
                    problems.append(f"{role_id}: wildcard action {a}")
            if "*" in as_list(st.get("Resource", [])):
                loose = sorted(set(actions) - UNSCOPED_ACTIONS)
                if loose:
                    problems.append(f"{role_id}: Resource \"*\" for {loose}, which can be scoped")
    problems += function_roles(stack)
    problems += invokers(stack)
    return problems


def trust(stack, role_id):
    problems = []
    for st in as_list(stack.props(role_id)["AssumeRolePolicyDocument"]["Statement"]):
        for service in as_list(st.get("Principal", {}).get("Service", [])):
            conds = {k for c in st.get("Condition", {}).values() for k in c}
            if service not in TRUST_WITHOUT_SOURCE and not conds & {"aws:SourceAccount", "aws:SourceArn"}:
                problems.append(f"{role_id}: {service} may assume it for any account (no aws:SourceAccount)")
    return problems


def function_roles(stack):
    problems = []
    seen = {}
    for fn in stack.functions():
        role = stack.role_of(fn)
        if role in seen:
            problems.append(f"{fn} and {seen[role]} share {role}; each function has its own role")
        seen[role] = fn
        services = {s for st in as_list(stack.props(role)["AssumeRolePolicyDocument"]["Statement"])
                    for s in as_list(st.get("Principal", {}).get("Service", []))}
        if services != {"lambda.amazonaws.com"}:
            problems.append(f"{role} (role of {fn}) is trusted by {sorted(services)}, expected Lambda only")
        log_group = ref_target(stack.props(fn).get("LoggingConfig", {}).get("LogGroup"))
        for st in stack.statements(role):
            if any(a.startswith("logs:") for a in as_list(st["Action"])):
                others = [r for r in as_list(st["Resource"]) if not stack.names(r, log_group) or r == "*"]
                if others:
                    problems.append(f"{role}: writes logs outside {fn}'s log group {log_group}: {others}")
    return problems


def invokers(stack):
    problems = []
    roles = list(stack.of_type("AWS::IAM::Role"))
    for fn in stack.functions():
        found = {r for r in roles if stack.allows(r, "lambda:InvokeFunction", fn)}
        for perm_id, perm in stack.of_type("AWS::Lambda::Permission").items():
            p = perm["Properties"]
            if ref_target(p.get("FunctionName")) != fn:
                continue
            found.add(p["Principal"])
            if p["Principal"].endswith(".amazonaws.com") and not ({"SourceArn", "SourceAccount"} & set(p)):
                problems.append(f"{perm_id}: {p['Principal']} may invoke {fn} on behalf of any account")
        expected = INVOKERS.get(fn)
        if expected is None:
            problems.append(f"{fn}: not in INVOKERS; say who may invoke it")
        elif found != expected:
            problems.append(f"{fn}: invoked by {sorted(found)}, expected {sorted(expected)}")
    return problems
