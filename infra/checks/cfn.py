"""The stack as CloudFormation will create it: template.yaml through the SAM translator, then
resolved for one set of parameter values (conditions decided, `Fn::If` branches chosen,
`AWS::NoValue` removed). The checks assert on this, not on the SAM source.

References (`Ref`, `Fn::GetAtt`, `Fn::Sub`) are kept as they are, so a check can still see which
resource a statement or a property names.
"""
import copy
import json
import logging
import os
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
NO_VALUE = object()


def load_sam(path=TEMPLATE):
    """template.yaml as plain JSON data (the YAML short forms become `Ref`, `Fn::If`, ...)."""
    from cfnlint.decode import decode

    template, errors = decode(str(path))
    if errors:
        raise SystemExit(f"cannot read {path}: {errors}")
    return json.loads(json.dumps(template))


def transform(sam, params=None):
    """What CloudFormation's SAM transform makes of it for these parameter values (SAM fills some
    parameter values in itself, e.g. in an API's Auth), with placeholder code locations."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # its metrics chatter
    from samtranslator.translator.transform import transform as sam_transform

    sam = copy.deepcopy(sam)
    for res in sam["Resources"].values():
        if res.get("Type") == "AWS::Serverless::Function":
            res["Properties"]["CodeUri"] = "s3://placeholder/code.zip"

    class NoManagedPolicies:
        def load(self):
            return {}

    return sam_transform(sam, dict(params or {}), NoManagedPolicies())


class Stack:
    """The transformed template resolved for `params` (defaults for the rest)."""

    def __init__(self, cfn, params=None):
        self.params = {k: p.get("Default") for k, p in cfn.get("Parameters", {}).items()}
        self.params.update(params or {})
        unknown = set(params or {}) - set(cfn.get("Parameters", {}))
        if unknown:
            raise ValueError(f"unknown parameters: {sorted(unknown)}")
        self._raw_conditions = cfn.get("Conditions", {})
        self.conditions = {}
        for name in self._raw_conditions:
            self.condition(name)
        self.resources = {}
        for rid, res in cfn["Resources"].items():
            if "Condition" in res and not self.conditions[res["Condition"]]:
                continue
            self.resources[rid] = self.resolve(res)

    # ------------------------------------------------------------------ conditions
    def condition(self, name):
        if name not in self.conditions:
            self.conditions[name] = bool(self._eval(self._raw_conditions[name]))
        return self.conditions[name]

    def _eval(self, node):
        if isinstance(node, dict) and len(node) == 1:
            (fn, arg), = node.items()
            if fn == "Fn::Equals":
                return self._eval(arg[0]) == self._eval(arg[1])
            if fn == "Fn::Not":
                return not self._eval(arg[0])
            if fn == "Fn::And":
                return all(self._eval(a) for a in arg)
            if fn == "Fn::Or":
                return any(self._eval(a) for a in arg)
            if fn == "Condition":
                return self.condition(arg)
            if fn == "Ref":
                return self.param_value(arg)
            if fn == "Fn::Join":
                return arg[0].join(self._list(self._eval(arg[1])))
            if fn == "Fn::Select":
                return self._list(self._eval(arg[1]))[int(arg[0])]
        return node

    def param_value(self, name):
        return self.params[name]

    def value(self, node):
        """A plain value from parameters and the list functions (Fn::Split, Fn::Join)."""
        if isinstance(node, dict) and len(node) == 1:
            (fn, arg), = node.items()
            if fn == "Ref" and arg in self.params:
                return self.params[arg]
            if fn == "Fn::Split":
                return str(self.value(arg[1])).split(arg[0])
            if fn == "Fn::Join":
                return arg[0].join(self.value(a) for a in as_list(self.value(arg[1])))
        return node

    @staticmethod
    def _list(value):
        if isinstance(value, list):
            return value
        return [v.strip() for v in str(value).split(",")]

    # ------------------------------------------------------------------ resolution
    def resolve(self, node):
        """`node` with every `Fn::If` decided and `AWS::NoValue` dropped."""
        out = self._resolve(node)
        return None if out is NO_VALUE else out

    def _resolve(self, node):
        if isinstance(node, list):
            items = [self._resolve(n) for n in node]
            return [i for i in items if i is not NO_VALUE]
        if isinstance(node, dict):
            if node == {"Ref": "AWS::NoValue"}:
                return NO_VALUE
            if len(node) == 1 and "Fn::If" in node:
                cond, yes, no = node["Fn::If"]
                return self._resolve(yes if self.condition(cond) else no)
            out = {}
            for k, v in node.items():
                r = self._resolve(v)
                if r is not NO_VALUE:
                    out[k] = r
            return out
        return node

    # ------------------------------------------------------------------ lookups
    def of_type(self, rtype):
        return {rid: r for rid, r in self.resources.items() if r["Type"] == rtype}

    def props(self, rid):
        return self.resources[rid].get("Properties", {})

    def functions(self):
        return self.of_type("AWS::Lambda::Function")

    def role_of(self, function_id):
        return ref_target(self.props(function_id)["Role"])

    def function_name(self, function_id):
        """The function's name as written (`${AWS::StackName}-rotation`)."""
        name = self.props(function_id).get("FunctionName")
        return name.get("Fn::Sub") if isinstance(name, dict) else name

    def statements(self, role_id):
        """Every statement of a role: inline policies and the stack's managed policies it has."""
        out = []
        role = self.props(role_id)
        for policy in role.get("Policies", []):
            out += as_list(policy["PolicyDocument"]["Statement"])
        attached = {ref_target(a) for a in role.get("ManagedPolicyArns", [])}
        for pid, pol in self.of_type("AWS::IAM::ManagedPolicy").items():
            roles = {ref_target(r) for r in pol["Properties"].get("Roles", [])}
            if pid in attached or role_id in roles:
                out += as_list(pol["Properties"]["PolicyDocument"]["Statement"])
        return out

    def allows(self, role_id, action, resource_id=None):
        """Whether a role is allowed `action` on resource `resource_id` (on anything if None)."""
        for st in self.statements(role_id):
            if st.get("Effect") != "Allow" or not action_matches(st, action):
                continue
            if resource_id is None or any(self.names(r, resource_id) for r in as_list(st["Resource"])):
                return True
        return False

    def names(self, expr, resource_id):
        """Whether the resource expression `expr` (in a policy) covers resource `resource_id`."""
        if expr == "*" or ref_target(expr) == resource_id:
            return True
        if isinstance(expr, dict) and "Fn::Sub" in expr:
            text = expr["Fn::Sub"] if isinstance(expr["Fn::Sub"], str) else expr["Fn::Sub"][0]
            if f"${{{resource_id}.Arn}}" in text or f"${{{resource_id}}}" in text:
                return True
            # An ARN built from the name (a role cannot GetAtt the function that uses it).
            if self.resources.get(resource_id, {}).get("Type") == "AWS::Lambda::Function":
                return text.endswith(f":function:{self.function_name(resource_id)}")
        return False

    def depends_on(self, rid, other):
        """Whether CloudFormation creates `other` before `rid` (DependsOn or a reference)."""
        seen, todo = set(), [rid]
        while todo:
            cur = todo.pop()
            if cur in seen or cur not in self.resources:
                continue
            seen.add(cur)
            res = self.resources[cur]
            # Metadata references count too: the conditional-DependsOn idiom relies on them.
            nxt = set(as_list(res.get("DependsOn", []))) | refs(res.get("Properties", {})) | refs(res.get("Metadata", {}))
            if other in nxt:
                return True
            todo += list(nxt)
        return False


def as_list(v):
    return v if isinstance(v, list) else [v]


def ref_target(expr):
    """The logical id a `Ref` or `Fn::GetAtt` points at, else None."""
    if isinstance(expr, dict):
        if "Ref" in expr:
            return expr["Ref"]
        if "Fn::GetAtt" in expr:
            att = expr["Fn::GetAtt"]
            return (att.split(".")[0] if isinstance(att, str) else att[0])
    return None


def action_matches(statement, action):
    import fnmatch

    return any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in as_list(statement.get("Action", [])))


def refs(node):
    """Every logical id or parameter that `node` refers to (Ref, GetAtt, ${...} in Sub)."""
    import re

    out = set()
    if isinstance(node, list):
        for n in node:
            out |= refs(n)
    elif isinstance(node, dict):
        for k, v in node.items():
            if k == "Ref":
                out.add(v)
            elif k == "Fn::GetAtt":
                out.add(v.split(".")[0] if isinstance(v, str) else v[0])
            elif k == "Fn::Sub":
                text = v if isinstance(v, str) else v[0]
                out |= {m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", text)}
                if not isinstance(v, str):
                    out |= refs(v[1])
            else:
                out |= refs(v)
    return out
