#!/usr/bin/env python3
"""Switches IAM enforcement on in a fresh moto server and prints the admin credentials to use.

    moto_iam.py URL   ->   export AWS_ACCESS_KEY_ID=... / export AWS_SECRET_ACCESS_KEY=...

While enforcement is off (moto's default), it creates an `admin` user allowed everything and an
access key for it; then it tells moto to authorise every further request against the caller's
IAM policies (POST /moto-api/reset-auth with 0 unauthenticated calls left). Test set-up, the
demo and the bench use the admin key; a function under test uses a role with its own policy
(tests/testkit/src/iam.rs). moto matches actions, not resource ARNs.
"""
import json
import sys
import boto3
import requests

url = sys.argv[1]
iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                   aws_access_key_id="setup", aws_secret_access_key="setup")
iam.create_user(UserName="admin")
iam.put_user_policy(UserName="admin", PolicyName="everything", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
key = iam.create_access_key(UserName="admin")["AccessKey"]
requests.post(f"{url}/moto-api/reset-auth", data=b"0", timeout=10).raise_for_status()
print(f"export AWS_ACCESS_KEY_ID={key['AccessKeyId']}")
print(f"export AWS_SECRET_ACCESS_KEY={key['SecretAccessKey']}")
