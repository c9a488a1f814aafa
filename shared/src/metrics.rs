//! CloudWatch metrics as Embedded Metric Format lines on stdout: Lambda's log pipeline turns
//! them into metrics in the `credguard` namespace — no API call, no permission. The template's
//! alarms (rotation failures, partial audits) read them.

use serde_json::{json, Map, Value};

pub const NAMESPACE: &str = "credguard";

/// One EMF document: `metrics` (count values) with the `Function` dimension plus `dimensions`.
pub fn document(function: &str, metrics: &[(&str, f64)], dimensions: &[(&str, &str)]) -> Value {
    let mut dims: Vec<&str> = vec!["Function"];
    dims.extend(dimensions.iter().map(|(k, _)| *k));
    let mut root = Map::new();
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": chrono::Utc::now().timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [dims],
                "Metrics": metrics.iter().map(|(name, _)| json!({"Name": name, "Unit": "Count"})).collect::<Vec<_>>(),
            }],
        }),
    );
    root.insert("Function".into(), function.into());
    for (k, v) in dimensions {
        root.insert((*k).into(), (*v).into());
    }
    for (name, value) in metrics {
        root.insert((*name).into(), json!(value));
    }
    Value::Object(root)
}

/// Prints the document as one line (not through `tracing`, whose envelope EMF would not parse).
/// Only inside Lambda (or a local runtime emulator): elsewhere nobody collects it.
pub fn emit(function: &str, metrics: &[(&str, f64)], dimensions: &[(&str, &str)]) {
    if std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some() {
        println!("{}", document(function, metrics, dimensions));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_document_shape() {
        let d = document(
            "rotation",
            &[("RotationFailed", 1.0)],
            &[("Strategy", "regenerate")],
        );
        assert_eq!(d["_aws"]["CloudWatchMetrics"][0]["Namespace"], "credguard");
        assert_eq!(
            d["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Function", "Strategy"]])
        );
        assert_eq!(
            d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"],
            "RotationFailed"
        );
        assert_eq!(d["RotationFailed"], 1.0);
        assert_eq!(d["Strategy"], "regenerate");
        assert!(d["_aws"]["Timestamp"].as_i64().unwrap() > 0);
    }
}
