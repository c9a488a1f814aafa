//! The AWS adapters against the local emulator (moto) through the real SDK.

use credguard::aws::dynamodb::DynamoRecords;
use credguard::aws::eventbridge::EventBridgePublisher;
use credguard::aws::secretsmanager::SecretsManager;
use credguard::ports::events::{EventPublisher, SecurityEvent, Severity};
use credguard::ports::records::{Condition, Item, Query, RecordStore, StoreError, GSI1};
use credguard::ports::secrets::{
    SecretStore, SecretsError, VersionRef, AWSCURRENT, AWSPENDING, AWSPREVIOUS,
};
use credguard::redact::{ExposeSecret, SecretString};
use credguard::secret_cache::CachedSecrets;
use credguard_testkit::{aws, create_records_table, unique};
use serde_json::json;
use std::time::Duration;

fn item(v: serde_json::Value) -> Item {
    v.as_object().cloned().expect("object")
}

#[tokio::test]
async fn secret_versions_and_stages_follow_the_rotation_protocol() {
    let cfg = aws().await;
    let sm = SecretsManager::new(&cfg);
    let name = unique("credguard/test");
    sm.create(
        &name,
        &SecretString::from("v1-value"),
        &[("credguard:managed", "true")],
    )
    .await
    .unwrap();
    let meta = sm.describe(&name).await.unwrap();
    let v1 = meta.version_with_stage(AWSCURRENT).unwrap().to_owned();
    assert!(!meta.rotation_enabled);
    assert_eq!(
        meta.tags.get("credguard:managed").map(String::as_str),
        Some("true")
    );

    // Pending put keyed by the token: repeating it is a no-op. (Real AWS also refuses the same
    // token with another value; moto does not, so that rule is pinned by the in-memory store.)
    let token = "11111111-2222-4333-8444-555555555555";
    sm.put_pending(&name, token, &SecretString::from("v2-value"), None)
        .await
        .unwrap();
    sm.put_pending(&name, token, &SecretString::from("v2-value"), None)
        .await
        .unwrap();
    let meta = sm.describe(&name).await.unwrap();
    assert_eq!(meta.version_with_stage(AWSPENDING), Some(token));
    assert_eq!(meta.version_with_stage(AWSCURRENT), Some(v1.as_str()));

    let pending = sm
        .get_version(&name, VersionRef::Stage(AWSPENDING))
        .await
        .unwrap();
    assert_eq!(pending.value.expose_secret(), "v2-value");
    let by_id = sm.get_version(&name, VersionRef::Id(&v1)).await.unwrap();
    assert_eq!(by_id.value.expose_secret(), "v1-value");

    // finishSecret: move AWSCURRENT; AWSPREVIOUS follows the old version; drop AWSPENDING.
    sm.move_stage(&name, AWSCURRENT, Some(token), Some(&v1))
        .await
        .unwrap();
    sm.move_stage(&name, AWSPENDING, None, Some(token))
        .await
        .unwrap();
    let meta = sm.describe(&name).await.unwrap();
    assert_eq!(meta.version_with_stage(AWSCURRENT), Some(token));
    assert_eq!(meta.version_with_stage(AWSPREVIOUS), Some(v1.as_str()));
    assert_eq!(meta.version_with_stage(AWSPENDING), None);
    let current = sm
        .get_version(&name, VersionRef::Stage(AWSCURRENT))
        .await
        .unwrap();
    assert_eq!(current.value.expose_secret(), "v2-value");

    let missing = sm.describe(&unique("credguard/none")).await.unwrap_err();
    assert!(matches!(missing, SecretsError::NotFound(_)));
}

#[tokio::test]
async fn tagged_secrets_are_listed_exactly() {
    let cfg = aws().await;
    let sm = SecretsManager::new(&cfg);
    let tag = unique("fleet");
    for i in 0..3 {
        sm.create(
            &unique(&format!("credguard/{tag}/{i}")),
            &SecretString::from("x"),
            &[("credguard:fleet", &tag)],
        )
        .await
        .unwrap();
    }
    sm.create(
        &unique("credguard/other"),
        &SecretString::from("x"),
        &[("credguard:fleet", "different")],
    )
    .await
    .unwrap();
    // Matches the key and the value filters, each on a different tag: not the pair.
    sm.create(
        &unique("credguard/crossed"),
        &SecretString::from("x"),
        &[("credguard:fleet", "different"), ("credguard:other", &tag)],
    )
    .await
    .unwrap();
    let listed = sm.list_tagged("credguard:fleet", &tag).await.unwrap();
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|m| m.name.contains(&tag)));
}

#[tokio::test]
async fn secret_cache_honours_ttl_against_the_real_store() {
    let cfg = aws().await;
    let sm = SecretsManager::new(&cfg);
    let name = unique("credguard/cache");
    sm.create(&name, &SecretString::from("one"), &[])
        .await
        .unwrap();
    let cache = CachedSecrets::new(sm.clone(), Duration::from_millis(300));
    assert_eq!(
        cache.current(&name).await.unwrap().value.expose_secret(),
        "one"
    );
    sm.put_current(&name, &SecretString::from("two"))
        .await
        .unwrap();
    assert_eq!(
        cache.current(&name).await.unwrap().value.expose_secret(),
        "one",
        "served from cache"
    );
    assert_eq!(
        cache
            .current_fresh(&name)
            .await
            .unwrap()
            .value
            .expose_secret(),
        "two",
        "bypass"
    );
    sm.put_current(&name, &SecretString::from("three"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(
        cache.current(&name).await.unwrap().value.expose_secret(),
        "three",
        "expired"
    );
}

#[tokio::test]
async fn conditional_writes_and_queries() {
    let cfg = aws().await;
    let table = unique("credguard-records");
    create_records_table(&cfg, &table).await;
    let store = DynamoRecords::new(&cfg, &table);

    let first = item(
        json!({"pk": "LEASE#s1", "sk": "LEASE", "owner": "a", "expiresAt": 100, "revision": 1}),
    );
    store
        .put(first.clone(), Condition::NotExists)
        .await
        .unwrap();
    assert_eq!(
        store.put(first.clone(), Condition::NotExists).await,
        Err(StoreError::ConditionFailed)
    );

    // Optimistic concurrency on `revision`.
    let next = item(
        json!({"pk": "LEASE#s1", "sk": "LEASE", "owner": "a", "expiresAt": 200, "revision": 2}),
    );
    store
        .put(next.clone(), Condition::Equals("revision", json!(1)))
        .await
        .unwrap();
    assert_eq!(
        store
            .put(next.clone(), Condition::Equals("revision", json!(1)))
            .await,
        Err(StoreError::ConditionFailed)
    );
    // A lease can be taken over only once expired.
    let other = item(
        json!({"pk": "LEASE#s1", "sk": "LEASE", "owner": "b", "expiresAt": 500, "revision": 3}),
    );
    assert_eq!(
        store
            .put(other.clone(), Condition::NotExistsOrBelow("expiresAt", 150))
            .await,
        Err(StoreError::ConditionFailed)
    );
    store
        .put(other, Condition::NotExistsOrBelow("expiresAt", 250))
        .await
        .unwrap();
    let got = store.get("LEASE#s1", "LEASE").await.unwrap().unwrap();
    assert_eq!(got["owner"], "b");
    assert!(store.get("LEASE#none", "LEASE").await.unwrap().is_none());

    // Range query by prefix, newest first, paged.
    for i in 0..5 {
        store
            .put(
                item(json!({"pk": "SECRET#x", "sk": format!("ROTATION#{i}"), "gsi1pk": "ROTATIONS", "gsi1sk": format!("2026-11-0{i}"), "n": i})),
                Condition::Always,
            )
            .await
            .unwrap();
    }
    store
        .put(
            item(json!({"pk": "SECRET#x", "sk": "OTHER", "n": 99})),
            Condition::Always,
        )
        .await
        .unwrap();
    let page = store
        .query(Query {
            pk: "SECRET#x".into(),
            sk_prefix: Some("ROTATION#".into()),
            descending: true,
            limit: Some(3),
            ..Query::default()
        })
        .await
        .unwrap();
    assert_eq!(
        page.items
            .iter()
            .map(|i| i["n"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![4, 3, 2]
    );
    let rest = store
        .query(Query {
            pk: "SECRET#x".into(),
            sk_prefix: Some("ROTATION#".into()),
            descending: true,
            cursor: page.cursor,
            ..Query::default()
        })
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 2);
    let by_index = store
        .query(Query {
            index: Some(GSI1),
            pk: "ROTATIONS".into(),
            ..Query::default()
        })
        .await
        .unwrap();
    assert_eq!(by_index.items.len(), 5);
    assert_eq!(by_index.items[0]["gsi1sk"], "2026-11-00");

    store
        .delete("SECRET#x", "OTHER", Condition::Always)
        .await
        .unwrap();
    assert!(store.get("SECRET#x", "OTHER").await.unwrap().is_none());
}

#[tokio::test]
async fn batch_writes_retry_unprocessed_items() {
    let cfg = aws().await;
    let table = unique("credguard-records");
    create_records_table(&cfg, &table).await;
    let upstream = std::env::var("AWS_ENDPOINT_URL").unwrap();
    let proxy = credguard_testkit::ddb_proxy::UnprocessedProxy::start(&upstream, 3, &cfg).await;
    let via_proxy = aws_sdk_dynamodb::config::Builder::from(&cfg)
        .endpoint_url(&proxy.url)
        .build();
    let store = DynamoRecords::from_client(aws_sdk_dynamodb::Client::from_conf(via_proxy), &table);

    let items: Vec<Item> = (0..60)
        .map(|i| item(json!({"pk": "BATCH", "sk": format!("ITEM#{i:03}"), "i": i})))
        .collect();
    let stats = store.put_batch(items).await.unwrap();
    assert_eq!(proxy.faults_served(), 3);
    assert!(stats.unprocessed_retried > 0, "{stats:?}");
    assert!(stats.requests > 3, "{stats:?}");

    let direct = DynamoRecords::new(&cfg, &table);
    let all = direct
        .query(Query {
            pk: "BATCH".into(),
            ..Query::default()
        })
        .await
        .unwrap();
    assert_eq!(all.items.len(), 60, "every item written exactly once");
}

#[tokio::test]
async fn events_reach_the_bus_with_severity_and_nothing_else() {
    let cfg = aws().await;
    let bus = unique("credguard-bus");
    let tap = credguard_testkit::events::EventTap::new(
        &cfg,
        &bus,
        credguard::ports::events::EVENT_SOURCE,
    )
    .await;
    let publisher = EventBridgePublisher::new(&cfg, &bus, credguard::ports::events::EVENT_SOURCE);
    let events: Vec<SecurityEvent> = (0..13)
        .map(|i| SecurityEvent {
            detail_type: "Rotation Completed".into(),
            severity: Severity::Info,
            resources: vec![],
            detail: json!({"secretId": format!("s{i}")}),
        })
        .collect();
    publisher.publish(events).await.unwrap();
    let got = tap.drain().await;
    assert_eq!(got.len(), 13);
    assert!(got
        .iter()
        .all(|e| e["detail-type"] == "Rotation Completed" && e["detail"]["severity"] == "INFO"));
}

#[tokio::test]
async fn versions_are_listed_without_values_and_tags_can_be_set() {
    let cfg = aws().await;
    let sm = SecretsManager::new(&cfg);
    let name = unique("credguard/versions");
    sm.create(&name, &SecretString::from("one"), &[])
        .await
        .unwrap();
    sm.put_current(&name, &SecretString::from("two"))
        .await
        .unwrap();
    let versions = sm.list_versions(&name).await.unwrap();
    assert_eq!(versions.len(), 2);
    let current = versions
        .iter()
        .find(|v| v.stages.iter().any(|s| s == AWSCURRENT))
        .unwrap();
    assert!(current.created.is_some());
    assert!(versions
        .iter()
        .any(|v| v.stages.iter().any(|s| s == AWSPREVIOUS)));
    sm.tag(
        &name,
        &[
            ("credguard:client-id", "c-123"),
            ("credguard:strategy", "regenerate"),
        ],
    )
    .await
    .unwrap();
    let meta = sm.describe(&name).await.unwrap();
    assert_eq!(
        meta.tags.get("credguard:client-id").map(String::as_str),
        Some("c-123")
    );
}
