"""Each deploy-truth check fails on a template that breaks what it guards: the mutations below
are the mistakes the checks exist for. Run by `make test`:

    python -m unittest discover -s infra/checks -p 'test_*.py'
"""
import copy
import functools
import pathlib
import tempfile
import unittest
from unittest import mock

import cfn
import check_api
import check_required
import check_roles
import check_vpc
import deploy_truth

SAM = cfn.load_sam()


@functools.lru_cache(maxsize=None)
def _transformed(scenario):
    return cfn.transform(SAM, deploy_truth.SCENARIOS[scenario])


def stack(scenario="defaults", sam=None, cfn_edit=None):
    """The stack for `scenario`, after editing the SAM source (`sam`) or the CloudFormation."""
    params = deploy_truth.SCENARIOS[scenario]
    if sam:
        source = copy.deepcopy(SAM)
        sam(source["Resources"])
        transformed = cfn.transform(source, params)
    else:
        transformed = copy.deepcopy(_transformed(scenario))
    if cfn_edit:
        cfn_edit(transformed["Resources"])
    return cfn.Stack(transformed, params)


def statements(resources, role, policy_index=0):
    return resources[role]["Properties"]["Policies"][policy_index]["PolicyDocument"]["Statement"]


def shared_statements(resources):
    return resources["FunctionsSharedPolicy"]["Properties"]["PolicyDocument"]["Statement"]


def drop_sid(items, sid):
    """Removes the statement `sid`, also when it sits inside an Fn::If."""
    def sid_of(st):
        return st.get("Sid") or (st.get("Fn::If", [None, {}])[1] or {}).get("Sid")
    kept = [st for st in items if sid_of(st) != sid]
    assert len(kept) == len(items) - 1, f"no statement {sid}"
    items[:] = kept


class Baseline(unittest.TestCase):
    def test_the_template_passes_every_check_in_every_scenario(self):
        self.assertEqual(deploy_truth.problems(SAM), [])


class Api(unittest.TestCase):
    def test_caller_credentials_on_the_integration_fail(self):
        st = stack(sam=lambda r: r["RevocationApi"]["Properties"]["Auth"].pop("InvokeRole"))
        found = [p for p in check_api.check(st) if "arn:aws:iam::*:user/*" in p]
        methods = list(check_api.methods(st.resources["RevocationApi"]))
        self.assertGreater(len(methods), 1)
        self.assertEqual(len(found), len(methods), found)

    def test_a_new_route_is_checked_like_the_others(self):
        def add_route(r, invoke_role=True):
            r["RevocationFunction"]["Properties"]["Events"]["Probe"] = {
                "Type": "Api", "Properties": {"RestApiId": {"Ref": "RevocationApi"}, "Path": "/v1/probe/{id}", "Method": "PUT"}}
            if not invoke_role:
                r["RevocationApi"]["Properties"]["Auth"].pop("InvokeRole")
        self.assertEqual(check_api.check(stack(sam=add_route)), [])
        found = check_api.check(stack(sam=lambda r: add_route(r, invoke_role=False)))
        self.assertTrue(any("PUT /v1/probe/{id}" in p and "credentials" in p for p in found), found)

    def test_a_method_without_its_lambda_permission_fails(self):
        def drop(r):
            perm = next(k for k in r if r[k]["Type"] == "AWS::Lambda::Permission" and "RevokeToken" in k)
            del r[perm]
        found = check_api.check(stack(cfn_edit=drop))
        self.assertEqual([p for p in found if "no Lambda permission" in p],
                         ["RevocationApi POST /v1/tokens/revoke: no Lambda permission lets API Gateway invoke the function for this method"])

    def test_logging_without_the_account_role_fails(self):
        found = check_api.check(stack(cfn_edit=lambda r: r.pop("ApiGatewayAccount")))
        self.assertTrue(any("need the account's API Gateway CloudWatch role" in p for p in found), found)

    def test_a_stage_that_may_come_before_the_account_role_fails(self):
        found = check_api.check(stack(cfn_edit=lambda r: r["RevocationApi"]["Metadata"].pop("AfterApiGatewayAccount")))
        self.assertTrue(any("may be created before ApiGatewayAccount" in p for p in found), found)

    def test_restrictions_without_their_deny_statements_fail(self):
        def drop(r):
            drop_sid(r["RevocationApi"]["Properties"]["Auth"]["ResourcePolicy"]["CustomStatements"], "OnlyListedPrincipals")
            drop_sid(r["RevocationApi"]["Properties"]["Auth"]["ResourcePolicy"]["CustomStatements"], "OnlyThisOrganization")
        found = check_api.check(stack("every option", sam=drop))
        self.assertTrue(any("does not deny other principals" in p for p in found), found)
        self.assertTrue(any("does not deny other organisations" in p for p in found), found)


class Roles(unittest.TestCase):
    def test_a_scopable_action_on_every_resource_fails(self):
        def widen(r):
            statements(r, "RevocationRole").append({"Effect": "Allow", "Action": "dynamodb:Query", "Resource": "*"})
        found = check_roles.check(stack(cfn_edit=widen))
        self.assertIn("RevocationRole: Resource \"*\" for ['dynamodb:Query'], which can be scoped", found)

    def test_a_new_invoker_fails(self):
        def invoke(r):
            statements(r, "AuditRole").append(
                {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": {"Fn::GetAtt": ["RotationFunction", "Arn"]}})
        found = check_roles.check(stack(cfn_edit=invoke))
        self.assertTrue(any(p.startswith("RotationFunction: invoked by ['AuditRole'") for p in found), found)

    def test_a_service_permission_for_any_account_fails(self):
        found = check_roles.check(stack(cfn_edit=lambda r: r["RotationInvokedBySecretsManager"]["Properties"].pop("SourceAccount")))
        self.assertIn("RotationInvokedBySecretsManager: secretsmanager.amazonaws.com may invoke RotationFunction on behalf of any account", found)


class RequiredActions(unittest.TestCase):
    def test_rotate_secret_without_invoking_the_rotation_function_fails(self):
        found = check_required.check(stack(cfn_edit=lambda r: drop_sid(statements(r, "RotationRole"), "RotateSecretInvokesTheRotationFunction")))
        self.assertIn("RotateSecret invokes the rotation function as the caller: RotationRole lacks ['lambda:InvokeFunction'] on RotationFunction", found)

    def test_scheduler_without_the_key_of_its_dead_letter_queue_fails(self):
        found = check_required.check(stack("every option", cfn_edit=lambda r: drop_sid(statements(r, "SchedulerRole"), "CustomerKeyForDeadLetters")))
        self.assertIn("sqs:SendMessage on FailedInvocationsQueue, encrypted with KmsKeyArn: SchedulerRole lacks ['kms:GenerateDataKey', 'kms:Decrypt'] on KmsKeyArn", found)

    def test_functions_without_the_key_of_their_secrets_and_table_fail(self):
        found = check_required.check(stack("every option", cfn_edit=lambda r: drop_sid(shared_statements(r), "CustomerKey")))
        self.assertTrue(any("on AdminCredentialSecret" in p and "RevocationRole lacks ['kms:Decrypt']" in p for p in found), found)
        self.assertTrue(any("on RecordsTable" in p and "AuditRole lacks ['kms:Decrypt']" in p for p in found), found)

    def test_functions_in_a_vpc_without_network_interface_permissions_fail(self):
        found = check_required.check(stack("every option", cfn_edit=lambda r: drop_sid(shared_statements(r), "VpcNetworkInterfaces")))
        self.assertIn("RotationFunction runs in a VPC: RotationRole lacks " + str(check_required.ENI_ACTIONS), found)

    def test_a_key_policy_need_missing_from_the_docs_fails(self):
        with tempfile.TemporaryDirectory() as d:
            empty = pathlib.Path(d) / "deploying.md"
            empty.write_text("")
            with mock.patch.object(check_required, "DEPLOYING", empty):
                found = check_required.check(stack("every option"))
        self.assertTrue(any("CloudWatch Logs writes RotationLogGroup" in p for p in found), found)
        self.assertTrue(any("EventBridge dead-letters into FailedInvocationsQueue" in p for p in found), found)


class Vpc(unittest.TestCase):
    def test_a_service_the_code_calls_without_its_endpoint_fails(self):
        found = check_vpc.check(stack("every option", cfn_edit=lambda r: r.pop("LambdaEndpoint")))
        self.assertIn("the functions call lambda but the stack creates no VPC endpoint for it", found)

    def test_one_function_outside_the_vpc_fails(self):
        found = check_vpc.check(stack("every option", cfn_edit=lambda r: r["AuditFunction"]["Properties"].pop("VpcConfig")))
        self.assertTrue(any("would reach Genesys from another address" in p for p in found), found)


if __name__ == "__main__":
    unittest.main()
