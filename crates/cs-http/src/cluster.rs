//! Several `cs serve` processes on one PostgreSQL store: each tenant's partition is written
//! by the one node holding its lock; the others follow it, serve reads from their replica,
//! and forward writes to the owner, whose address the owner records in the store
//! (`cs_owners`). When the owner dies, a follower takes the lock over and records itself.
//! See `docs/DEPLOY.md`.

use crate::error::ApiError;
use crate::routes::{FORWARDED_HEADER, Shared};
use crate::tenant::Tenant;
use axum::extract::Request;
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Forwards a write to the node that owns the tenant and returns its answer as it is.
pub async fn forward(app: &Shared, tenant: &Arc<Tenant>, req: Request) -> Response {
    if req.headers().contains_key(FORWARDED_HEADER) {
        // Forwarded here by a node that took this one for the owner: ownership is moving.
        return ApiError::unavailable(
            "not_owner",
            "this node does not write the tenant (ownership is moving); retry with the same Idempotency-Key",
        )
        .into_response();
    }
    let store = tenant.store.clone();
    let name = tenant.name.clone();
    let owner = match tokio::task::spawn_blocking(move || store.owner(&name)).await {
        Ok(Ok(Some(o))) => o,
        Ok(Ok(None)) => {
            return ApiError::unavailable("no_owner", "no node writes this tenant yet; retry shortly").into_response();
        }
        _ => {
            return ApiError::unavailable("store_unavailable", "the store could not say which node writes this tenant")
                .into_response();
        }
    };
    let (parts, body) = req.into_parts();
    let bytes = match crate::routes::read_body(body, app).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let Ok(uri) = format!("{}{path}", owner.trim_end_matches('/')).parse::<Uri>() else {
        return ApiError::internal(format!("the owner's address {owner:?} is not a URL")).into_response();
    };
    let mut out = Request::builder().method(parts.method).uri(uri);
    for (name, value) in &parts.headers {
        if name != header::HOST && name != header::CONTENT_LENGTH {
            out = out.header(name, value);
        }
    }
    out = out.header(FORWARDED_HEADER, HeaderValue::from_static("1"));
    let Ok(out) = out.body(axum::body::Body::from(bytes)) else {
        return ApiError::internal("the forwarded request could not be built").into_response();
    };
    match app.client.send(out).await {
        Ok(r) => r.into_response(),
        Err(e) => ApiError::unavailable(
            "owner_unreachable",
            format!("the node that writes this tenant ({owner}) did not answer: {e}; retry shortly"),
        )
        .into_response(),
    }
}
