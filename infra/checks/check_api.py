"""The revocation API as API Gateway will run it: every method of every REST API, whatever its
routes are.

- Each method needs IAM authorisation and a Lambda proxy integration **without credentials**.
  SAM's default for `DefaultAuthorizer: AWS_IAM` is `credentials: arn:aws:iam::*:user/*`: API
  Gateway then invokes the function with the caller's own credentials, so a responder holding
  only `execute-api:Invoke` gets a 500, and one also holding `lambda:InvokeFunction` can call the
  function directly with a forged request context. `Auth.InvokeRole: NONE` removes it.
- Each method's function has a Lambda permission for API Gateway whose source ARN covers the
  method (API Gateway invokes it under the function's resource policy).
- Access or execution logging needs the account's CloudWatch role (`AWS::ApiGateway::Account`),
  set before the stage is created; a fresh account fails the deployment without it.
- With the caller restriction parameters set, the resource policy denies everyone else; it never
  allows anyone unconditionally.
"""
import fnmatch
import re

from cfn import as_list, ref_target, refs

ACCOUNT_ROLE_PARAM = "ApiGatewayCloudWatchRole"  # "create" or "existing"
PRINCIPALS_PARAM = "ApiAllowedPrincipalArns"
ORG_PARAM = "ApiAllowedOrganizationId"


def methods(api):
    for path, ops in api["Properties"].get("Body", {}).get("paths", {}).items():
        for verb, op in ops.items():
            if not verb.startswith("x-"):
                yield path, verb.upper(), op


def check(stack):
    problems = []
    functions = set(stack.functions())
    for api_id, api in stack.of_type("AWS::ApiGateway::RestApi").items():
        found = list(methods(api))
        if not found:
            problems.append(f"{api_id}: no methods")
        for path, verb, op in found:
            where = f"{api_id} {verb} {path}"
            integ = op.get("x-amazon-apigateway-integration", {})
            if "credentials" in integ:
                problems.append(
                    f"{where}: the integration invokes the function with credentials {integ['credentials']!r} "
                    "(arn:aws:iam::*:user/* means the caller's own); set Auth.InvokeRole: NONE")
            if integ.get("type") != "aws_proxy":
                problems.append(f"{where}: integration type {integ.get('type')!r}, expected aws_proxy")
            if not any("AWS_IAM" in s for s in op.get("security", [])):
                problems.append(f"{where}: not authorised with AWS_IAM")
            targets = refs(integ.get("uri", "")) & functions
            if len(targets) != 1:
                problems.append(f"{where}: integration does not name exactly one function ({sorted(targets)})")
            elif not permitted(stack, targets.pop(), api_id, verb, path):
                problems.append(f"{where}: no Lambda permission lets API Gateway invoke the function for this method")
        problems += resource_policy(stack, api_id, api)
    problems += account_logging_role(stack)
    return problems


def permitted(stack, function_id, api_id, verb, path):
    concrete = f"/{verb}" + re.sub(r"\{[^}]+\}", "x", path)
    for perm in stack.of_type("AWS::Lambda::Permission").values():
        p = perm["Properties"]
        if ref_target(p.get("FunctionName")) != function_id or p.get("Principal") != "apigateway.amazonaws.com":
            continue
        src = p.get("SourceArn", {}).get("Fn::Sub")
        if not isinstance(src, list) or ref_target(src[1].get("__ApiId__")) != api_id:
            continue
        pattern = src[0].split("${__Stage__}", 1)[-1]
        if fnmatch.fnmatchcase(concrete, pattern):
            return True
    return False


def resource_policy(stack, api_id, api):
    problems = []
    policy = api["Properties"].get("Body", {}).get("x-amazon-apigateway-policy", {})
    statements = as_list(policy.get("Statement", []))

    def denies_unless(operator, key, allowed):
        return any(
            s.get("Effect") == "Deny" and s.get("Principal") == "*"
            and sorted(as_list(stack.value(s.get("Condition", {}).get(operator, {}).get(key)))) == sorted(allowed)
            for s in statements)

    principals = [p for p in (stack.params.get(PRINCIPALS_PARAM) or "").split(",") if p]
    org = stack.params.get(ORG_PARAM) or ""
    if principals and not denies_unless("ArnNotLike", "aws:PrincipalArn", principals):
        problems.append(f"{api_id}: {PRINCIPALS_PARAM} is set but the resource policy does not deny other principals")
    if org and not denies_unless("StringNotEquals", "aws:PrincipalOrgID", [org]):
        problems.append(f"{api_id}: {ORG_PARAM} is set but the resource policy does not deny other organisations")
    restricted = bool(principals or org)
    for s in statements:
        if s.get("Effect") == "Allow" and not restricted:
            problems.append(f"{api_id}: the resource policy allows callers although no restriction is configured")
    return problems


def account_logging_role(stack):
    problems = []
    accounts = list(stack.of_type("AWS::ApiGateway::Account"))
    for stage_id, stage in stack.of_type("AWS::ApiGateway::Stage").items():
        p = stage["Properties"]
        logs = "AccessLogSetting" in p or any(
            m.get("LoggingLevel", "OFF") != "OFF" for m in p.get("MethodSettings", []))
        if not logs:
            continue
        if not accounts and stack.params.get(ACCOUNT_ROLE_PARAM) != "existing":
            problems.append(f"{stage_id}: logs need the account's API Gateway CloudWatch role; "
                            f"create AWS::ApiGateway::Account or declare it existing ({ACCOUNT_ROLE_PARAM})")
        for acc in accounts:
            if not stack.depends_on(stage_id, acc):
                problems.append(f"{stage_id}: may be created before {acc} sets the account's CloudWatch role")
    for acc in accounts:
        role = ref_target(stack.props(acc).get("CloudWatchRoleArn"))
        if role not in stack.resources:
            problems.append(f"{acc}: CloudWatchRoleArn does not name a role of this stack")
    return problems
