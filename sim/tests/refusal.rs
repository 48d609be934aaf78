//! A node the gateway refuses reports the refusal with the gateway's own words and retries at
//! clawnode's pace (every 5 s), instead of spinning. The gateway here is a small WebSocket
//! server on loopback that answers every connect as OpenClaw 2026.9.6 answers clawnode's
//! `scopes: ["node"]`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use clawsim::client::{self, Control, Event, Settings};
use clawsim::identity::Identity;
use clawsim::latency::Latency;
use clawsim::node::Node;
use clawsim::spec::Fleet;
use clawsim::wire::{self, Hello, WireMode};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc, Semaphore};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

const REFUSAL: &str = "invalid scope for requested roles: node";

/// Accepts connections forever; each gets a challenge, and its connect params are sent on
/// `seen` and answered with an error.
async fn refusing_gateway(listener: TcpListener, seen: mpsc::UnboundedSender<(Instant, Value)>) {
    loop {
        let (tcp, _) = listener.accept().await.unwrap();
        let seen = seen.clone();
        tokio::spawn(async move {
            let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
            let challenge =
                json!({"type": "event", "event": "connect.challenge", "payload": {"nonce": "n-1", "ts": 1}});
            ws.send(Message::Text(challenge.to_string().into())).await.unwrap();
            while let Some(Ok(msg)) = ws.next().await {
                if let Message::Text(t) = msg {
                    let frame: Value = serde_json::from_str(&t).unwrap();
                    if frame["method"] == "connect" {
                        seen.send((Instant::now(), frame["params"].clone())).unwrap();
                        let res = json!({"type": "res", "id": frame["id"], "ok": false, "error": {"code": "INVALID_REQUEST", "message": REFUSAL}});
                        ws.send(Message::Text(res.to_string().into())).await.unwrap();
                        let _ = ws.close(None).await;
                        return;
                    }
                }
            }
        });
    }
}

#[tokio::test]
async fn a_refused_legacy_node_reports_the_gateways_message_and_retries_every_5_s() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel();
    tokio::spawn(refusing_gateway(listener, seen_tx));

    let spec = Fleet::parse("[[nodes]]\nname = \"gpu-1\"\ndisplay_name = \"ubuntu\"\n", false).unwrap().nodes.remove(0);
    let node = Arc::new(Mutex::new(Node::new(spec, &clawsim::default_build_commands(), 0, 1)));
    let identity = Arc::new(Identity::from_seed([9; 32]));
    let settings = Settings {
        name: "gpu-1".to_string(),
        url,
        hello: Hello {
            wire: WireMode::LegacyScopes,
            display_name: "ubuntu".to_string(),
            caps: wire::caps(0, "docker"),
            commands: clawsim::default_build_commands(),
            token: "t".to_string(),
        },
        instance_id: "unused".to_string(),
        handshakes: Arc::new(Semaphore::new(1)),
        latency: Latency::Fixed { ms: 0 },
        heartbeat: Duration::from_secs(30),
        disconnect_at: None,
        reconnect_after: None,
        verbose: false,
    };
    let (events_tx, mut events_rx) = mpsc::unbounded_channel();
    let (control_tx, _) = broadcast::channel::<Control>(4);
    let task = tokio::spawn(client::run(node, identity.clone(), settings, events_tx, control_tx.subscribe()));

    let first = tokio::time::timeout(Duration::from_secs(5), events_rx.recv()).await.unwrap().unwrap();
    let Event::Refused { name, node_id, error, attempt } = first else { panic!("{first:?}") };
    assert_eq!((name.as_str(), node_id.as_str(), attempt), ("gpu-1", identity.device_id.as_str(), 1));
    assert_eq!(
        (error.code.as_str(), error.message.as_str(), error.detail.as_ref()),
        ("INVALID_REQUEST", REFUSAL, None)
    );

    // no second try before clawnode's 5 s; the second try comes right after
    let (t1, params) = seen_rx.recv().await.unwrap();
    assert_eq!(params["scopes"], json!(["node"]));
    assert_eq!(params["client"]["displayName"], json!("ubuntu"));
    assert!(tokio::time::timeout(Duration::from_millis(4_800), seen_rx.recv()).await.is_err(), "retried before 5 s");
    let (t2, _) = tokio::time::timeout(Duration::from_secs(2), seen_rx.recv()).await.unwrap().unwrap();
    let gap = t2 - t1;
    assert!(gap >= Duration::from_secs(5) && gap < Duration::from_millis(6_000), "{gap:?}");
    let second = events_rx.recv().await.unwrap();
    assert!(matches!(second, Event::Refused { attempt: 2, .. }), "{second:?}");
    task.abort();
}
