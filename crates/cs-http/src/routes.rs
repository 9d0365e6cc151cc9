//! The router: `/v1` (bearer token per tenant), `/healthz`, `/metrics`, `/openapi.json`
//! and the dashboard at `/`. Handlers translate: a request becomes a command built against
//! the tenant's state (ids resolved there) or a query of it, and the answer becomes JSON.

use crate::api::{self, Action, NewAgent, NewTicket, PresenceBody, TicketPatch};
use crate::error::ApiError;
use crate::tenant::{Answer, Refused, Tenant, View};
use axum::body::Body;
use axum::extract::{FromRequest, Path, Query, Request, State as AxState};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// What every handler shares.
pub struct App {
    /// The tenants, in config order.
    pub tenants: Vec<Arc<Tenant>>,
    /// Tenant by the SHA-256 of its token.
    pub by_token: HashMap<[u8; 32], Arc<Tenant>>,
    /// The largest request body, bytes.
    pub body_bytes_max: usize,
    /// For forwarding writes to the node that owns a tenant.
    pub client: crate::client::Client,
    /// The metrics summary `GET /v1/metrics` answers with.
    pub metrics_view: crate::views::MetricsView,
    /// The elastic staffing `GET /v1/staffing` answers with.
    pub staffing_view: crate::views::StaffingView,
    /// A request's body must arrive within this, in all.
    pub body_read_timeout: std::time::Duration,
    /// Turns true when the service shuts down: long-lived responses (event streams) end.
    pub stopping: tokio::sync::watch::Receiver<bool>,
}

/// The shared state of the router.
pub type Shared = Arc<App>;

/// The header carrying a tenant's sequence number on answers.
pub const SEQUENCE_HEADER: &str = "x-cs-sequence";
/// Marks a request forwarded by another node (never forwarded again).
pub const FORWARDED_HEADER: &str = "x-cs-forwarded";

/// The service's routes.
pub fn router(app: Shared) -> Router {
    let v1 = Router::new()
        .route("/v1/agents", get(list_agents).post(create_agent))
        .route("/v1/agents/{id}", get(get_agent))
        .route("/v1/agents/{id}/presence", post(set_presence))
        .route("/v1/tickets", get(list_tickets).post(create_ticket))
        .route("/v1/tickets/{id}", get(get_ticket).patch(patch_ticket))
        .route("/v1/tickets/{id}/actions", post(ticket_action))
        .route("/v1/queues", get(queues))
        .route("/v1/metrics", get(metrics))
        .route("/v1/staffing", get(staffing))
        .route("/v1/customers/{id}/position", get(customer_position))
        .route("/v1/config", get(get_config).put(put_config))
        .route("/v1/events", get(crate::sse::events))
        .route_layer(axum::middleware::from_fn_with_state(app.clone(), authenticate));
    Router::new()
        .merge(v1)
        .route("/healthz", get(healthz))
        .route("/metrics", get(prometheus))
        .route("/openapi.json", get(openapi))
        .route("/", get(crate::dashboard::page))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
        .with_state(app)
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint; see /openapi.json")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method; see /openapi.json",
    )
}

/// A handler that panicked answers 500; the server keeps serving.
fn panicked(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = err.downcast_ref::<String>().cloned().or_else(|| err.downcast_ref::<&str>().map(|s| (*s).to_owned()));
    eprintln!("cs-http: a handler panicked: {}", what.as_deref().unwrap_or("(no message)"));
    ApiError::internal("the server failed on this request; it keeps serving").into_response()
}

/// Finds the tenant of the bearer token, applies its rate limit, forwards a write to the
/// node that owns the tenant when this one does not, and times the request.
async fn authenticate(AxState(app): AxState<Shared>, mut req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    let Some(token) = token else {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "give the tenant's token: Authorization: Bearer TOKEN",
        )
        .into_response();
    };
    let Some(tenant) = app.by_token.get(&crate::config::token_digest(token)).cloned() else {
        return ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "the token is not a tenant's").into_response();
    };
    if !tenant.admit() {
        return ApiError {
            retry_after_s: Some(1),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("tenant {:?} is over its request rate", tenant.name),
            )
        }
        .into_response();
    }
    let started = Instant::now();
    let write = !matches!(*req.method(), Method::GET | Method::HEAD);
    let response = if write && !tenant.owner.load(std::sync::atomic::Ordering::SeqCst) {
        crate::cluster::forward(&app, &tenant, req).await
    } else {
        req.extensions_mut().insert(tenant.clone());
        next.run(req).await
    };
    tenant.stats.http.observe(started.elapsed());
    response
}

/// A JSON body, read up to the configured limit (413 beyond it) and decoded with the
/// path of a bad field in the message (400).
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Shared> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, app: &Shared) -> Result<Self, ApiError> {
        // JSON is expected whatever the header says, but a body declared as something
        // else that cannot be JSON is refused for what it is. (`curl -d` sends JSON as
        // `application/x-www-form-urlencoded`; that is taken.)
        if let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or_default().to_ascii_lowercase();
            let plausible = ct.contains("json")
                || ct.starts_with("text/plain")
                || ct.starts_with("application/x-www-form-urlencoded");
            if !plausible {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    format!("the body must be JSON (Content-Type: application/json), not {ct:?}"),
                ));
            }
        }
        let bytes = read_body(req.into_body(), app).await?;
        decode(&bytes).map(JsonBody)
    }
}

/// Reads a body up to `limit` bytes.
pub async fn read_body(body: Body, app: &App) -> Result<axum::body::Bytes, ApiError> {
    let limit = app.body_bytes_max;
    // The whole body within the time allowed, however it is trickled: a client sending a
    // byte now and then must not hold a connection (and its memory) for ever.
    let Ok(read) = tokio::time::timeout(app.body_read_timeout, axum::body::to_bytes(body, limit)).await else {
        return Err(ApiError::new(StatusCode::REQUEST_TIMEOUT, "body_too_slow", "the body did not arrive in time"));
    };
    read.map_err(|e| {
        let too_big = std::error::Error::source(&e).is_some_and(|s| s.to_string().contains("length limit"))
            || e.to_string().contains("length limit");
        if too_big {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the body is larger than {limit} bytes"),
            )
        } else {
            ApiError::bad_request("bad_body", format!("the body could not be read: {e}"))
        }
    })
}

/// Decodes JSON naming the path of what is wrong.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::bad_request("bad_json", "the body is empty; send a JSON object"));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let code = if inner.is_syntax() || inner.is_eof() { "bad_json" } else { "bad_field" };
        if path == "." || path == "?" || path.is_empty() {
            ApiError::bad_request(code, format!("body: {inner}"))
        } else {
            ApiError::bad_request(code, format!("{path}: {inner}"))
        }
    })?;
    de.end().map_err(|e| ApiError::bad_request("bad_json", format!("body: {e}")))?;
    Ok(value)
}

/// The idempotency key of a request, checked.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else { return Ok(None) };
    let key = v.to_str().map_err(|_| ApiError::bad_request("bad_header", "Idempotency-Key must be visible ASCII"))?;
    if key.is_empty() || key.len() > 255 {
        return Err(ApiError::bad_request("bad_header", "Idempotency-Key must be 1 to 255 characters"));
    }
    Ok(Some(key.to_owned()))
}

/// Answers a decided command.
fn answered(result: Result<Answer, Refused>, status: StatusCode) -> Response {
    match result {
        Ok(a) => {
            let mut r = (status, a.body).into_response();
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            h.insert(SEQUENCE_HEADER, HeaderValue::from(a.seq));
            if a.replayed {
                h.insert("idempotent-replayed", HeaderValue::from_static("true"));
            }
            r
        }
        Err(Refused::Error(e)) => e.into_response(),
        Err(Refused::NotOwner(owner)) => ApiError::unavailable(
            "not_owner",
            format!(
                "another node writes this tenant{}; retry (with the same Idempotency-Key)",
                owner.map(|o| format!(" ({o})")).unwrap_or_default()
            ),
        )
        .into_response(),
    }
}

/// Answers a query with its JSON and the sequence number it was read at.
fn read<T: serde::Serialize>(r: Result<(T, u64), ApiError>) -> Response {
    match r {
        Ok((v, seq)) => {
            let mut resp = axum::Json(v).into_response();
            resp.headers_mut().insert(SEQUENCE_HEADER, HeaderValue::from(seq));
            resp
        }
        Err(e) => e.into_response(),
    }
}

async fn create_agent(
    Extension(t): Extension<Arc<Tenant>>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<NewAgent>,
) -> Response {
    let key = match idempotency_key(&headers) {
        Ok(k) => k,
        Err(e) => return e.into_response(),
    };
    let id = body.id.clone();
    let r = t
        .command(
            key,
            Box::new(move |s, at| api::register_agent(s, at, body)),
            Box::new(move |s, _| s.agent_by_key(&id).map_or(Value::Null, |a| api::agent_view(s, a))),
        )
        .await;
    answered(r, StatusCode::CREATED)
}

async fn set_presence(
    Extension(t): Extension<Arc<Tenant>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<PresenceBody>,
) -> Response {
    let key = match idempotency_key(&headers) {
        Ok(k) => k,
        Err(e) => return e.into_response(),
    };
    let id2 = id.clone();
    let r = t
        .command(
            key,
            Box::new(move |s, at| api::presence(s, at, &id, body)),
            Box::new(move |s, _| s.agent_by_key(&id2).map_or(Value::Null, |a| api::agent_view(s, a))),
        )
        .await;
    answered(r, StatusCode::OK)
}

async fn list_agents(Extension(t): Extension<Arc<Tenant>>) -> Response {
    read(
        t.query(|v: &View<'_>| {
            (configured(v).map(|s| s.agents().iter().map(|a| api::agent_view(s, a)).collect::<Vec<_>>()), v.seq)
        })
        .await
        .and_then(lift),
    )
}

async fn get_agent(Extension(t): Extension<Arc<Tenant>>, Path(id): Path<String>) -> Response {
    read(
        t.query(move |v: &View<'_>| {
            let r = configured(v).and_then(|s| {
                s.agent_by_key(&id).map(|a| api::agent_view(s, a)).ok_or_else(|| ApiError::not_found("agent", &id))
            });
            (r, v.seq)
        })
        .await
        .and_then(lift),
    )
}

async fn create_ticket(
    Extension(t): Extension<Arc<Tenant>>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<NewTicket>,
) -> Response {
    let key = match idempotency_key(&headers) {
        Ok(k) => k,
        Err(e) => return e.into_response(),
    };
    let id = body.id.clone();
    let r = t
        .command(
            key,
            Box::new(move |s, at| api::create_ticket(s, at, body)),
            Box::new(move |s, _| {
                let now = s.last_event_at();
                s.ticket_by_key(&id).map_or(Value::Null, |tk| api::ticket_view(s, tk, now, false))
            }),
        )
        .await;
    answered(r, StatusCode::CREATED)
}

#[derive(serde::Deserialize)]
struct ListQuery {
    state: Option<String>,
    queue: Option<String>,
    limit: Option<usize>,
}

async fn list_tickets(Extension(t): Extension<Arc<Tenant>>, Query(q): Query<ListQuery>) -> Response {
    read(
        t.query(move |v: &View<'_>| {
            let r = configured(v).map(|s| {
                let limit = q.limit.unwrap_or(100).min(1000);
                s.tickets()
                    .filter(|tk| tk.key.is_some())
                    .filter(|tk| {
                        q.state.as_deref().is_none_or(|st| api::ticket_view(s, tk, v.now, false)["state"] == st)
                    })
                    .filter(|tk| q.queue.as_deref().is_none_or(|qn| s.config().queue(tk.queue).name == qn))
                    .take(limit)
                    .map(|tk| api::ticket_view(s, tk, v.now, false))
                    .collect::<Vec<_>>()
            });
            (r, v.seq)
        })
        .await
        .and_then(lift),
    )
}

async fn get_ticket(Extension(t): Extension<Arc<Tenant>>, Path(id): Path<String>) -> Response {
    read(
        t.query(move |v: &View<'_>| {
            let r = configured(v).and_then(|s| {
                s.ticket_by_key(&id)
                    .map(|tk| api::ticket_view(s, tk, v.now, true))
                    .ok_or_else(|| ApiError::not_found("ticket", &id))
            });
            (r, v.seq)
        })
        .await
        .and_then(lift),
    )
}

async fn patch_ticket(
    Extension(t): Extension<Arc<Tenant>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<TicketPatch>,
) -> Response {
    ticket_command(t, id, headers, move |s, at, id| api::patch(s, at, id, body)).await
}

async fn ticket_action(
    Extension(t): Extension<Arc<Tenant>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Action>,
) -> Response {
    ticket_command(t, id, headers, move |s, at, id| api::action(s, at, id, body)).await
}

async fn ticket_command(
    t: Arc<Tenant>,
    id: String,
    headers: HeaderMap,
    build: impl FnOnce(&cs_core::State, cs_core::Timestamp, &str) -> Result<cs_core::Command, ApiError> + Send + 'static,
) -> Response {
    let key = match idempotency_key(&headers) {
        Ok(k) => k,
        Err(e) => return e.into_response(),
    };
    let id2 = id.clone();
    let r = t
        .command(
            key,
            Box::new(move |s, at| build(s, at, &id)),
            Box::new(move |s, _| {
                let now = s.last_event_at();
                s.ticket_by_key(&id2).map_or(Value::Null, |tk| api::ticket_view(s, tk, now, true))
            }),
        )
        .await;
    answered(r, StatusCode::OK)
}

async fn queues(Extension(t): Extension<Arc<Tenant>>) -> Response {
    read(
        t.query(|v: &View<'_>| (configured(v).map(|s| crate::views::queues(s, v.metrics, v.now)), v.seq))
            .await
            .and_then(lift),
    )
}

#[derive(serde::Deserialize)]
struct Window {
    from: Option<String>,
    to: Option<String>,
}

async fn metrics(
    AxState(app): AxState<Shared>,
    Extension(t): Extension<Arc<Tenant>>,
    Query(w): Query<Window>,
) -> Response {
    let parse = |name: &str, v: &Option<String>| -> Result<Option<cs_core::Timestamp>, ApiError> {
        v.as_deref()
            .map(|s| {
                cs_core::Timestamp::parse(s).map_err(|e| ApiError::bad_request("bad_query", format!("{name}: {e}")))
            })
            .transpose()
    };
    let (from, to) = match (parse("from", &w.from), parse("to", &w.to)) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => return e.into_response(),
    };
    let view = app.metrics_view.clone();
    read(
        t.query(move |v: &View<'_>| {
            (configured(v).and_then(|s| crate::views::metrics(s, v.metrics, &view, from, to, v.now)), v.seq)
        })
        .await
        .and_then(lift),
    )
}

async fn staffing(
    AxState(app): AxState<Shared>,
    Extension(t): Extension<Arc<Tenant>>,
    query: Result<Query<crate::views::StaffingQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = match query {
        Ok(Query(q)) => q,
        Err(e) => return ApiError::bad_request("bad_query", e.body_text()).into_response(),
    };
    let view = app.staffing_view.clone();
    read(
        t.query(move |v: &View<'_>| {
            (configured(v).and_then(|s| crate::views::staffing(s, v.metrics, &view, &q, v.now)), v.seq)
        })
        .await
        .and_then(lift),
    )
}

async fn customer_position(Extension(t): Extension<Arc<Tenant>>, Path(id): Path<String>) -> Response {
    read(
        t.query(move |v: &View<'_>| {
            let customer = api::customer_id(&id);
            let r = configured(v).map(|s| crate::views::customer_position(s, customer, &id, v.now));
            (r, v.seq)
        })
        .await
        .and_then(lift),
    )
}

async fn get_config(Extension(t): Extension<Arc<Tenant>>) -> Response {
    read(
        t.query(|v: &View<'_>| {
            (configured(v).map(|s| serde_json::to_value(s.config().spec()).unwrap_or(Value::Null)), v.seq)
        })
        .await
        .and_then(lift),
    )
}

async fn put_config(
    Extension(t): Extension<Arc<Tenant>>,
    headers: HeaderMap,
    JsonBody(spec): JsonBody<cs_core::ConfigSpec>,
) -> Response {
    let key = match idempotency_key(&headers) {
        Ok(k) => k,
        Err(e) => return e.into_response(),
    };
    let r = t
        .command(
            key,
            Box::new(move |_, at| Ok(cs_core::Command::Configure { at, config: Box::new(spec) })),
            Box::new(|s, _| serde_json::to_value(s.config().spec()).unwrap_or(Value::Null)),
        )
        .await;
    answered(r, StatusCode::OK)
}

async fn healthz(AxState(app): AxState<Shared>) -> Response {
    let tenants: Vec<Value> = app
        .tenants
        .iter()
        .map(|t| {
            json!({
                "name": t.name,
                "owner": t.owner.load(std::sync::atomic::Ordering::SeqCst),
                "seq": t.seq.load(std::sync::atomic::Ordering::SeqCst),
            })
        })
        .collect();
    axum::Json(json!({ "status": "ok", "tenants": tenants.len(), "nodes": tenants })).into_response()
}

async fn prometheus(AxState(app): AxState<Shared>) -> Response {
    let mut rows = Vec::new();
    for t in &app.tenants {
        let gauges = t
            .query(|v: &View<'_>| {
                v.state.config_opt().map(|_| crate::views::queue_gauges(v.state, v.metrics, v.now)).unwrap_or_default()
            })
            .await;
        rows.push((t.name.clone(), gauges.unwrap_or_default(), t.clone()));
    }
    let figures: Vec<crate::prom::TenantFigures<'_>> = rows
        .iter()
        .map(|(name, queues, t)| crate::prom::TenantFigures {
            name: name.clone(),
            queues: queues.clone(),
            stats: &t.stats,
            seq: t.seq.load(std::sync::atomic::Ordering::SeqCst),
            owner: t.owner.load(std::sync::atomic::Ordering::SeqCst),
        })
        .collect();
    let body = crate::prom::render(&figures);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
}

async fn openapi() -> Response {
    axum::Json(crate::openapi::document()).into_response()
}

/// The state, or 503 while the tenant has no engine config.
fn configured<'a>(v: &View<'a>) -> Result<&'a cs_core::State, ApiError> {
    v.state
        .config_opt()
        .map(|_| v.state)
        .ok_or_else(|| ApiError::unavailable("not_configured", "the tenant has no engine config yet"))
}

/// `(Result<T>, seq)` to `Result<(T, seq)>`.
fn lift<T>((r, seq): (Result<T, ApiError>, u64)) -> Result<(T, u64), ApiError> {
    r.map(|v| (v, seq))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    /// A handler that panics answers 500 in the API's error shape, and the service keeps
    /// serving the next request (the layer `router` installs).
    #[tokio::test]
    async fn a_panic_becomes_a_500_and_the_server_keeps_serving() {
        async fn boom() -> &'static str {
            panic!("a bug")
        }
        let app: Router = Router::new()
            .route("/boom", get(boom))
            .route("/ok", get(|| async { "fine" }))
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked));
        let r = app.clone().oneshot(Request::builder().uri("/boom").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["code"], "internal");
        let r = app.oneshot(Request::builder().uri("/ok").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }

    #[test]
    fn bodies_decode_with_the_path_of_what_is_wrong() {
        let e = decode::<crate::api::NewTicket>(br#"{"id":"T","customer":"c","channel":"chat","tier":"platinum"}"#)
            .unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert!(e.message.starts_with("tier: unknown variant `platinum`"), "{}", e.message);
        let e = decode::<crate::api::NewTicket>(b"{} trailing").unwrap_err();
        assert!(e.message.starts_with("body:"), "{}", e.message);
        let e = decode::<crate::api::NewTicket>(b"").unwrap_err();
        assert_eq!(e.code, "bad_json");
        // Deep nesting is refused by the parser's depth limit, not a stack overflow.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let e = decode::<crate::api::NewTicket>(deep.as_bytes()).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST, "{}", e.message);
    }
}
