//! Reads back what was published to an EventBridge bus: a rule routes every event of the bus
//! to an SQS queue (moto delivers to SQS targets), and the test drains the queue.

use serde_json::Value;

pub struct EventTap {
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
}

impl EventTap {
    /// Creates `bus`, a queue and a rule sending everything from `source` on the bus to it.
    pub async fn new(cfg: &aws_config::SdkConfig, bus: &str, source: &str) -> Self {
        let eb = aws_sdk_eventbridge::Client::new(cfg);
        let sqs = aws_sdk_sqs::Client::new(cfg);
        eb.create_event_bus()
            .name(bus)
            .send()
            .await
            .expect("create bus");
        let queue_url = sqs
            .create_queue()
            .queue_name(format!("{bus}-tap"))
            .send()
            .await
            .expect("create queue")
            .queue_url()
            .expect("queue url")
            .to_owned();
        let arn = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("queue attributes")
            .attributes()
            .and_then(|a| {
                a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                    .cloned()
            })
            .expect("queue arn");
        eb.put_rule()
            .name(format!("{bus}-all"))
            .event_bus_name(bus)
            .event_pattern(serde_json::json!({ "source": [source] }).to_string())
            .send()
            .await
            .expect("put rule");
        eb.put_targets()
            .rule(format!("{bus}-all"))
            .event_bus_name(bus)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("tap")
                    .arn(arn)
                    .build()
                    .expect("complete"),
            )
            .send()
            .await
            .expect("put targets");
        Self { sqs, queue_url }
    }

    /// Every event delivered so far (each as the full EventBridge envelope).
    pub async fn drain(&self) -> Vec<Value> {
        let mut out = Vec::new();
        loop {
            let msgs = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .send()
                .await
                .expect("receive");
            let batch = msgs.messages();
            if batch.is_empty() {
                return out;
            }
            for m in batch {
                out.push(serde_json::from_str(m.body().unwrap_or("null")).expect("event JSON"));
                self.sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .expect("delete");
            }
        }
    }
}

/// The events of `detail_type`, in the order they were sent.
pub fn of_type<'a>(events: &'a [Value], detail_type: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["detail-type"] == detail_type)
        .collect()
}

/// Whether an event of `detail_type` was sent at `severity`.
pub fn sent_at(events: &[Value], detail_type: &str, severity: &str) -> bool {
    of_type(events, detail_type)
        .iter()
        .any(|e| e["detail"]["severity"] == severity)
}
