"""Permissions AWS requires beyond the call itself: each rule reads the stack and says which
principal needs which actions on which resource; the check then finds the grant.

A principal is a role of the stack (identity policy), a service principal (the resource's own
policy, e.g. a queue policy), or a service principal that only the customer key's policy can
let in; the key is not part of the stack, so that last kind must be documented in
docs/deploying.md.
"""
from collections import namedtuple

from cfn import ROOT, as_list, ref_target

Need = namedtuple("Need", "principal actions resource why")
KEY_POLICY = "key policy"
DEPLOYING = ROOT / "docs" / "deploying.md"

ENI_ACTIONS = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
               "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
# What a caller needs on the key to use a resource encrypted with it, per action.
KMS_FOR_ACTION = {
    "sqs:SendMessage": ["kms:GenerateDataKey", "kms:Decrypt"],
    "secretsmanager:GetSecretValue": ["kms:Decrypt"],
    "secretsmanager:PutSecretValue": ["kms:GenerateDataKey"],
    "events:PutEvents": ["kms:GenerateDataKey"],
    "dynamodb:GetItem": ["kms:Decrypt"], "dynamodb:PutItem": ["kms:Decrypt"],
    "dynamodb:DeleteItem": ["kms:Decrypt"], "dynamodb:Query": ["kms:Decrypt"],
    "dynamodb:BatchWriteItem": ["kms:Decrypt"],
}
# Where each resource type names its key.
KEY_PROPERTY = {
    "AWS::SQS::Queue": ["KmsMasterKeyId"],
    "AWS::SecretsManager::Secret": ["KmsKeyId"],
    "AWS::DynamoDB::Table": ["SSESpecification", "KMSMasterKeyId"],
    "AWS::Logs::LogGroup": ["KmsKeyId"],
    "AWS::Events::EventBus": ["KmsKeyIdentifier"],
}


def roles(stack):
    return list(stack.of_type("AWS::IAM::Role"))


def rotate_secret(stack):
    """RotateSecret: Secrets Manager invokes the rotation function as the caller (RotateSecret
    API reference, "Required permissions": lambda:InvokeFunction on the rotation function)."""
    rotators = [ref_target(p["Properties"]["FunctionName"]) for p in stack.of_type("AWS::Lambda::Permission").values()
                if p["Properties"]["Principal"] == "secretsmanager.amazonaws.com"]
    for role in roles(stack):
        if stack.allows(role, "secretsmanager:RotateSecret"):
            for fn in rotators:
                yield Need(role, ["lambda:InvokeFunction"], fn, "RotateSecret invokes the rotation function as the caller")


def function_execution(stack):
    """What Lambda does with the function's execution role: logs, traces, network interfaces
    (VPC), and delivery of failed asynchronous invocations to their destination."""
    for fn in stack.functions():
        role, p = stack.role_of(fn), stack.props(fn)
        log_group = ref_target(p.get("LoggingConfig", {}).get("LogGroup"))
        if log_group:
            yield Need(role, ["logs:CreateLogStream", "logs:PutLogEvents"], log_group, f"{fn} logs")
        if p.get("TracingConfig", {}).get("Mode") == "Active":
            yield Need(role, ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], None, f"{fn} traces")
        if p.get("VpcConfig"):
            yield Need(role, ENI_ACTIONS, None, f"{fn} runs in a VPC")
    for cfg in stack.of_type("AWS::Lambda::EventInvokeConfig").values():
        fn = ref_target(cfg["Properties"]["FunctionName"])
        for outcome, dest in cfg["Properties"].get("DestinationConfig", {}).items():
            target = ref_target(dest["Destination"])
            action = {"AWS::SQS::Queue": "sqs:SendMessage", "AWS::SNS::Topic": "sns:Publish",
                      "AWS::Lambda::Function": "lambda:InvokeFunction",
                      "AWS::Events::EventBus": "events:PutEvents"}[stack.resources[target]["Type"]]
            yield Need(stack.role_of(fn), [action], target, f"{fn} {outcome} destination")


def schedules(stack):
    """EventBridge Scheduler invokes the target and writes to the dead-letter queue with the
    schedule's execution role."""
    for sid, s in stack.of_type("AWS::Scheduler::Schedule").items():
        t = s["Properties"]["Target"]
        role = ref_target(t["RoleArn"])
        target = ref_target(t["Arn"])
        if stack.resources.get(target, {}).get("Type") == "AWS::Lambda::Function":
            yield Need(role, ["lambda:InvokeFunction"], target, f"{sid} invokes {target}")
        dlq = ref_target(t.get("DeadLetterConfig", {}).get("Arn"))
        if dlq:
            yield Need(role, ["sqs:SendMessage"], dlq, f"{sid} dead letters")


def event_rules(stack):
    """EventBridge calls an API destination with the target's role, and writes to a target's
    dead-letter queue as events.amazonaws.com (the queue's policy must let it)."""
    for rid, rule in stack.of_type("AWS::Events::Rule").items():
        for t in rule["Properties"].get("Targets", []):
            target = ref_target(t["Arn"])
            if stack.resources.get(target, {}).get("Type") == "AWS::Events::ApiDestination":
                yield Need(ref_target(t["RoleArn"]), ["events:InvokeApiDestination"], target, f"{rid} target")
            dlq = ref_target(t.get("DeadLetterConfig", {}).get("Arn"))
            if dlq:
                yield Need("events.amazonaws.com", ["sqs:SendMessage"], dlq, f"{rid} dead letters")


def customer_key(stack):
    """With a customer managed key, everyone who writes or reads an encrypted resource needs the
    key too: roles through their policies, AWS services through the key's policy."""
    encrypted = {}
    for rid, res in stack.resources.items():
        path = KEY_PROPERTY.get(res["Type"])
        value = res.get("Properties", {})
        for k in path or []:
            value = value.get(k, {}) if isinstance(value, dict) else {}
        if path and value:
            encrypted[rid] = ref_target(value) or value
    for rid, key in encrypted.items():
        for role in roles(stack):
            for st in stack.statements(role):
                if st.get("Effect") != "Allow" or not any(stack.names(r, rid) for r in as_list(st["Resource"])):
                    continue
                for action in as_list(st["Action"]):
                    if action in KMS_FOR_ACTION:
                        yield Need(role, KMS_FOR_ACTION[action], key, f"{action} on {rid}, encrypted with {key}")
        rtype = stack.resources[rid]["Type"]
        if rtype == "AWS::Logs::LogGroup":
            yield Need(KEY_POLICY, ["logs.<region>.amazonaws.com"], key, f"CloudWatch Logs writes {rid}")
        if rtype == "AWS::SQS::Queue" and any(n.resource == rid for n in event_rules(stack)):
            yield Need(KEY_POLICY, ["events.amazonaws.com"], key, f"EventBridge dead-letters into {rid}")


RULES = [rotate_secret, function_execution, schedules, event_rules, customer_key]


def needs(stack):
    return [n for rule in RULES for n in rule(stack)]


def satisfied(stack, need):
    if need.principal == KEY_POLICY:
        text = DEPLOYING.read_text() if DEPLOYING.exists() else ""
        return all(service in text for service in need.actions)
    if need.principal in stack.resources:
        return all(stack.allows(need.principal, a, need.resource) for a in need.actions)
    return all(queue_policy_allows(stack, need.resource, need.principal, a) for a in need.actions)


def queue_policy_allows(stack, queue, service, action):
    for pol in stack.of_type("AWS::SQS::QueuePolicy").values():
        p = pol["Properties"]
        if queue not in {ref_target(q) for q in p["Queues"]}:
            continue
        for st in as_list(p["PolicyDocument"]["Statement"]):
            if (st.get("Effect") == "Allow" and service in as_list(st.get("Principal", {}).get("Service", []))
                    and action in as_list(st["Action"])):
                return True
    return False


def check(stack):
    problems = []
    for n in needs(stack):
        if not satisfied(stack, n):
            where = "docs/deploying.md (the key policy must let it in)" if n.principal == KEY_POLICY else n.principal
            on = f" on {n.resource}" if n.resource else ""
            problems.append(f"{n.why}: {where} lacks {n.actions}{on}")
    return problems
