//! A real HTTP receiver for webhook tests, started by the test on loopback, and an independent
//! check of Tailscale's documented signature scheme (written here from the documentation, not
//! with Gatehouse's signing code): `Tailscale-Webhook-Signature: t=<unix>,v1=<hex>`, where the
//! hex is HMAC-SHA256 of "<t>.<body>" keyed with the endpoint's secret.

use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::Value;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub signature: Option<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// Tailscale's format: the array of event objects.
    pub fn events(&self) -> Vec<Value> {
        match self.json() {
            Value::Array(events) => events,
            other => panic!("not an array of events: {other}"),
        }
    }
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    status: AtomicU16,
    hang: AtomicBool,
}

/// A receiver listening on a loopback port.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    shared: Arc<Shared>,
}

impl Receiver {
    pub async fn start() -> Self {
        Self::start_on(0).await
    }

    /// Listens on `port` (0: any free port).
    pub async fn start_on(port: u16) -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind the receiver");
        let port = listener.local_addr().expect("address").port();
        let shared = Arc::new(Shared::default());
        shared.status.store(200, Ordering::SeqCst);
        let state = shared.clone();
        let router = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move {
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned)
                    };
                    state.received.lock().expect("lock").push(Received {
                        signature: header("tailscale-webhook-signature"),
                        content_type: header("content-type"),
                        body: body.to_vec(),
                        at: Instant::now(),
                    });
                    if state.hang.load(Ordering::SeqCst) {
                        tokio::time::sleep(std::time::Duration::from_secs(3_600)).await;
                    }
                    let status = StatusCode::from_u16(state.status.load(Ordering::SeqCst))
                        .unwrap_or(StatusCode::OK);
                    // A redirect points back here: following it would arrive a second time.
                    let location = [(axum::http::header::LOCATION, "/hook")];
                    // A long answer: Gatehouse keeps only its start.
                    (status, location, "x".repeat(10_000))
                }
            }),
        );
        tokio::spawn(async move {
            axum::serve(listener, router)
                .await
                .expect("receiver serves");
        });
        Self {
            url: format!("http://127.0.0.1:{port}/hook"),
            shared,
        }
    }

    /// A port with nothing listening on it (yet).
    pub async fn free_port() -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        listener.local_addr().expect("address").port()
    }

    pub fn answer_with(&self, status: u16) {
        self.shared.status.store(status, Ordering::SeqCst);
    }

    /// Never answers: holds every request open.
    pub fn hang(&self) {
        self.shared.hang.store(true, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().expect("lock").clone()
    }

    /// Every event object received, in order (Tailscale's format only).
    pub fn events(&self) -> Vec<Value> {
        self.received().iter().flat_map(Received::events).collect()
    }
}

/// Whether `header` is a valid signature of `body` under `secret`, made at most
/// `tolerance_secs` before `now`.
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64, tolerance_secs: i64) -> bool {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.push(value.to_owned()),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return false;
    };
    if (now - timestamp).abs() > tolerance_secs {
        return false;
    }
    let mut signed = timestamp.to_string().into_bytes();
    signed.push(b'.');
    signed.extend_from_slice(body);
    signatures.iter().any(|signature| {
        let Ok(expected) = decode_hex(signature) else {
            return false;
        };
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
        mac.update(&signed);
        mac.verify_slice(&expected).is_ok()
    })
}

fn decode_hex(text: &str) -> Result<Vec<u8>, ()> {
    if !text.len().is_multiple_of(2) {
        return Err(());
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).map_err(|_| ()))
        .collect()
}
