//! SigV4 for the test proxies: moto checks signatures (IAM is enforced), so a request a proxy
//! changes or sends itself must be signed with credentials moto issued.

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use axum::http::{HeaderMap, Method};

/// `headers` (which carry a SigV4 `authorization`) signed again, for the same service and
/// region, with `credentials`, for `url` and `body`.
pub async fn resign(
    credentials: &SharedCredentialsProvider,
    method: &Method,
    url: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<HeaderMap, String> {
    let scope = headers
        .get("authorization")
        .and_then(|a| a.to_str().ok())
        .and_then(|a| a.split("Credential=").nth(1))
        .ok_or("unsigned request")?;
    let parts: Vec<&str> = scope.split('/').collect();
    let (region, service) = (parts[2], parts[3]);
    signed(credentials, region, service, method, url, headers, body).await
}

/// `headers` plus a SigV4 signature by `credentials` for `service` in `region`.
pub async fn signed(
    credentials: &SharedCredentialsProvider,
    region: &str,
    service: &str,
    method: &Method,
    url: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<HeaderMap, String> {
    let identity = credentials
        .provide_credentials()
        .await
        .map_err(|e| e.to_string())?
        .into();
    let mut kept = HeaderMap::new();
    for (k, v) in headers {
        if !matches!(
            k.as_str(),
            "host" | "content-length" | "authorization" | "x-amz-date" | "x-amz-security-token"
        ) {
            kept.insert(k.clone(), v.clone());
        }
    }
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(std::time::SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let signable = SignableRequest::new(
        method.as_str(),
        url,
        kept.iter()
            .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str(), v))),
        SignableBody::Bytes(body),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| e.to_string())?
        .into_parts();
    let mut req = http::Request::new(());
    *req.headers_mut() = kept;
    instructions.apply_to_request_http1x(&mut req);
    Ok(req.headers().clone())
}
