//! `GET /v1/events`: the tenant's events as server-sent events, resumable.
//!
//! Each event is sent with `id:` its sequence number, `event:` its type and `data:` its
//! JSON (see [`crate::api::event_view`]). A client that reconnects with `Last-Event-ID: N`
//! (or asks `?after=N`) gets every event after N, read back from the store, then the live
//! ones, with none missed and none repeated; without either it gets the live ones from
//! the moment it connected. A subscriber that falls more than a few thousand events behind
//! catches up from the store the same way. A comment line every 15 s keeps idle
//! connections open through proxies.

use crate::error::ApiError;
use crate::tenant::{Published, Tenant, View};
use axum::Extension;
use axum::extract::Query;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

/// Events read from the store per catch-up page.
const PAGE: usize = 1000;

#[derive(serde::Deserialize)]
pub struct After {
    after: Option<u64>,
}

/// The stream handler.
pub async fn events(
    axum::extract::State(app): axum::extract::State<crate::routes::Shared>,
    Extension(t): Extension<Arc<Tenant>>,
    headers: HeaderMap,
    Query(q): Query<After>,
) -> Response {
    let from_header =
        match headers.get("last-event-id").map(|v| v.to_str().ok().and_then(|s| s.trim().parse::<u64>().ok())) {
            Some(None) => {
                return ApiError::bad_request("bad_header", "Last-Event-ID must be an event's sequence number")
                    .into_response();
            }
            Some(Some(n)) => Some(n),
            None => None,
        };
    // Subscribe before looking at the head, so nothing lands in between unseen.
    let mut live = t.events.subscribe();
    let head = t.seq.load(std::sync::atomic::Ordering::SeqCst);
    let after = from_header.or(q.after).unwrap_or(head);
    let (tx, rx) = mpsc::channel::<SseEvent>(256);
    let mut stopping = app.stopping.clone();
    let feed = async move {
        let mut sent = after;
        loop {
            // Catch up from the store to the head as it is now.
            let head = t.seq.load(std::sync::atomic::Ordering::SeqCst);
            while sent < head {
                let page = match catch_up(&t, sent, head).await {
                    Ok(p) if !p.is_empty() => p,
                    _ => return,
                };
                for (seq, name, json) in page {
                    if tx.send(sse(seq, &name, json)).await.is_err() {
                        return;
                    }
                    sent = seq;
                }
            }
            // Then the live events, skipping what the catch-up already sent.
            loop {
                match live.recv().await {
                    Ok(p) => {
                        if p.seq <= sent {
                            continue;
                        }
                        if p.seq > sent + 1 {
                            break; // a gap: catch up from the store
                        }
                        if tx.send(published(&p)).await.is_err() {
                            return;
                        }
                        sent = p.seq;
                    }
                    Err(RecvError::Lagged(_)) => break,
                    Err(RecvError::Closed) => return,
                }
            }
        }
    };
    tokio::spawn(async move {
        // The stream ends (and its connection closes) when the service shuts down.
        tokio::select! {
            () = feed => {},
            _ = stopping.wait_for(|&s| s) => {},
        }
    });
    let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
    let stream = tokio_stream::StreamExt::map(stream, Ok::<_, Infallible>);
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response()
}

fn sse(seq: u64, name: &str, json: String) -> SseEvent {
    SseEvent::default().id(seq.to_string()).event(name).data(json)
}

fn published(p: &Published) -> SseEvent {
    sse(p.seq, p.name, p.json.clone())
}

/// The events after `sent` (up to `head`, a page at a time) in the stream's form: read
/// from the store on a blocking thread, shown with the ids the tenant's state knows.
async fn catch_up(t: &Arc<Tenant>, sent: u64, head: u64) -> Result<Vec<(u64, String, String)>, ApiError> {
    let store = t.store.clone();
    let name = t.name.clone();
    let n = usize::try_from(head - sent).unwrap_or(usize::MAX).min(PAGE);
    let stored = tokio::task::spawn_blocking(move || store.read(&name, cs_store::Range::from(sent + 1, n)))
        .await
        .map_err(|_| ApiError::internal("reading the log failed"))?
        .map_err(|e| ApiError::from(cs_durable::DurableError::Store(e)))?;
    t.query(move |v: &View<'_>| {
        stored
            .iter()
            .map(|s| (s.seq, s.event.name().to_owned(), crate::api::event_view(v.state, s.seq, &s.event).to_string()))
            .collect()
    })
    .await
}
