//! The supervisor's dashboard at `/`: one page of plain HTML, CSS and JavaScript served by
//! the binary (no CDN), which asks for the tenant's token once, keeps it in the page's
//! session storage, reads `/v1/queues` and `/v1/agents`, and updates live from
//! `/v1/events`.

use axum::http::header;
use axum::response::{IntoResponse, Response};

const PAGE: &str = include_str!("../assets/dashboard.html");

/// `GET /`.
pub async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (
                header::HeaderName::from_static("content-security-policy"),
                "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'",
            ),
        ],
        PAGE,
    )
        .into_response()
}
