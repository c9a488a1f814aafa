//! The emulator enforces each function's policy: a call its role allows goes through, and the
//! same call with that one action taken out of the policy is refused. (So a function whose code
//! calls an action its role in template.yaml lacks fails its integration tests.)

use credguard::aws::dynamodb::DynamoRecords;
use credguard::aws::secretsmanager::SecretsManager;
use credguard::ports::records::{Condition, RecordStore};
use credguard::ports::secrets::SecretStore;
use credguard::redact::SecretString;
use credguard_testkit::iam::{aws_with_policy, denied, function_policy};
use credguard_testkit::{aws, create_records_table, unique};
use serde_json::{json, Value};

/// `binary`'s policy without `action`.
fn policy_without(binary: &str, action: &str) -> Value {
    let mut policy = function_policy(binary);
    let actions = policy["Statement"][0]["Action"]
        .as_array_mut()
        .expect("one statement listing the actions");
    let before = actions.len();
    actions.retain(|a| a != action);
    assert_eq!(actions.len(), before - 1, "{binary} allows {action}");
    policy
}

#[tokio::test]
async fn a_rotation_call_is_refused_once_its_action_leaves_the_policy() {
    let admin = aws().await;
    let name = unique("credguard/iam");
    SecretsManager::new(&admin)
        .create(&name, &SecretString::from("{}".to_owned()), &[])
        .await
        .expect("admin creates the secret");

    // Under their own names, so that these calls do not count as the functions' own use.
    let allowed = SecretsManager::new(
        &aws_with_policy(&admin, "rotation-full", &function_policy("rotation")).await,
    );
    allowed
        .describe(&name)
        .await
        .expect("the rotation role may describe");

    let without = aws_with_policy(
        &admin,
        "rotation-minus",
        &policy_without("rotation", "secretsmanager:DescribeSecret"),
    )
    .await;
    let err = SecretsManager::new(&without)
        .describe(&name)
        .await
        .expect_err("refused without secretsmanager:DescribeSecret");
    assert!(
        denied("rotation-minus").contains("secretsmanager:DescribeSecret"),
        "{err}"
    );
    assert!(denied("rotation-full").is_empty());
}

#[tokio::test]
async fn a_revocation_call_is_refused_once_its_action_leaves_the_policy() {
    let admin = aws().await;
    let table = unique("credguard-iam");
    create_records_table(&admin, &table).await;
    let item = |sk: &str| {
        json!({"pk": "IAM", "sk": sk})
            .as_object()
            .cloned()
            .expect("object")
    };

    let allowed = DynamoRecords::new(
        &aws_with_policy(&admin, "revocation-full", &function_policy("revocation")).await,
        &table,
    );
    allowed
        .put(item("allowed"), Condition::Always)
        .await
        .expect("the revocation role may put items");

    let without = aws_with_policy(
        &admin,
        "revocation-minus",
        &policy_without("revocation", "dynamodb:PutItem"),
    )
    .await;
    let err = DynamoRecords::new(&without, &table)
        .put(item("refused"), Condition::Always)
        .await
        .expect_err("refused without dynamodb:PutItem");
    assert!(
        denied("revocation-minus").contains("dynamodb:PutItem"),
        "{err}"
    );
    assert!(denied("revocation-full").is_empty());
}

#[tokio::test]
async fn a_key_the_emulator_did_not_issue_is_refused() {
    let admin = aws().await;
    let stranger = admin
        .to_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new("test", "test", None, None, "static"),
            ),
        )
        .build();
    let err = SecretsManager::new(&stranger)
        .describe("credguard/anything")
        .await
        .expect_err("an unknown access key is refused");
    assert!(
        !matches!(err, credguard::ports::secrets::SecretsError::NotFound(_)),
        "{err}"
    );
}
