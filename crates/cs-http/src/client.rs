//! A small HTTP/1 client on hyper, for forwarding writes to the node that owns a tenant
//! (and for the tests, which talk to a real server over loopback).

use axum::body::Body;
use axum::http::{Request, Response};
use hyper_util::client::legacy::Client as Inner;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

/// An HTTP/1 client with a connection pool.
#[derive(Clone)]
pub struct Client {
    inner: Inner<HttpConnector, Body>,
}

impl Default for Client {
    fn default() -> Client {
        Client::new()
    }
}

impl Client {
    /// A client whose connections time out after 5 s.
    pub fn new() -> Client {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_secs(5)));
        connector.set_nodelay(true);
        Client {
            inner: Inner::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(30)).build(connector),
        }
    }

    /// Sends a request and returns the response with its body as a stream.
    ///
    /// # Errors
    /// The server could not be reached or the connection broke.
    pub async fn send(&self, req: Request<Body>) -> Result<Response<Body>, String> {
        self.inner.request(req).await.map(|r| r.map(Body::new)).map_err(|e| e.to_string())
    }
}
