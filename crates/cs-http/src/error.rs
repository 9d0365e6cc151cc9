//! [`ApiError`]: every error the API answers, as one status and one JSON body:
//! `{"error": {"code": "...", "message": "..."}}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cs_core::Rejection;
use cs_durable::DurableError;
use cs_store::StoreError;

/// An error answered to a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable snake_case code (`unknown_ticket`, `capacity_exhausted`, ...).
    pub code: String,
    /// What is wrong, naming the field or id.
    pub message: String,
    /// Seconds to wait before retrying, for 429 and 503.
    pub retry_after_s: Option<u64>,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError { status, code: code.into(), message: message.into(), retry_after_s: None }
    }

    /// 400: the request is malformed or a field is bad.
    pub fn bad_request(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 404: no such id (for this tenant).
    pub fn not_found(what: &str, id: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, format!("unknown_{what}"), format!("no {what} {id:?}"))
    }

    /// 409: the request conflicts with what exists.
    pub fn conflict(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, message)
    }

    /// 503: try again shortly.
    pub fn unavailable(code: &str, message: impl Into<String>) -> ApiError {
        ApiError { retry_after_s: Some(1), ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code, message) }
    }

    /// 500: something broke on our side; the message says what without leaking internals.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// The body.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({ "error": { "code": self.code, "message": self.message } })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, axum::Json(self.body())).into_response();
        if let Some(s) = self.retry_after_s {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

/// A command the engine refused: 422 with the rejection's code and text, except for the
/// refusals that are conflicts with what exists (a duplicate id: 409) or name an id that
/// does not exist (404).
impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> ApiError {
        let status = match &r {
            Rejection::DuplicateAgentKey { .. } | Rejection::DuplicateTicketKey { .. } => StatusCode::CONFLICT,
            Rejection::UnknownTicket { .. } | Rejection::UnknownAgent { .. } | Rejection::TicketArchived { .. } => {
                StatusCode::NOT_FOUND
            }
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::new(status, r.code(), r.to_string())
    }
}

impl From<DurableError> for ApiError {
    fn from(e: DurableError) -> ApiError {
        match e {
            DurableError::Rejected(r) => r.into(),
            DurableError::Store(StoreError::Conflict { .. }) => {
                ApiError::unavailable("write_conflict", format!("{e}; retry with the same Idempotency-Key"))
            }
            // The store failed: nothing of the request was stored. Say so, and that a retry
            // is safe; the store's own words may name hosts or paths, so keep them in the log.
            other => {
                eprintln!("cs-http: store failure: {other}");
                ApiError::unavailable(
                    "store_unavailable",
                    "the event store did not take the request; nothing was changed, retry later",
                )
            }
        }
    }
}
