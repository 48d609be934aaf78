//! The host adapters the shim hands over (`api.runtime.nodes`, `fetch`, the logger), wrapped
//! as the core's [`Host`]. Transport codecs live in `crate::transport`.

use crate::config::{Config, Transport};
use crate::io::host::{Failure, Host, Level};
use crate::io::transport;
use crate::node::entry::NodeEntry;
use js_sys::{Function, Promise, Reflect, JSON};
use serde_json::{json, Value};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// The tool call's `AbortSignal`; read through a typed getter, which is far cheaper than
    /// `Reflect.get` with a fresh key string on every invoke.
    type Signal;
    #[wasm_bindgen(method, getter)]
    fn aborted(this: &Signal) -> bool;

    /// The shim's adapter over `api.runtime.nodes`.
    type Nodes;
    /// `invoke(nodeId, command, paramsJson, timeoutMs, signal, id, done, context)` sends one
    /// invoke, in `context` when it is a function (see [`CallHost`]'s `context`), and answers
    /// later through `done(id, payloadText, null)` or `done(id, undefined, error)`. One
    /// typed call: no argument array, no promise and no closures per invoke.
    #[wasm_bindgen(method, catch, js_name = invoke)]
    fn send(
        this: &Nodes,
        node_id: &str,
        command: &str,
        params_json: &str,
        timeout_ms: f64,
        signal: &JsValue,
        id: u32,
        done: &Function,
        context: &JsValue,
    ) -> Result<(), JsValue>;
}

/// An invoke's answer: the payload text, or what the adapter rejected with.
type Answer = Result<String, JsValue>;

/// Where answers of runtime invokes wait for their invoke, by id. The shim hands every answer
/// to one long-lived `done` closure, so an invoke costs no closure of its own (awaiting a JS
/// promise from Rust makes two, each registered for finalisation).
#[derive(Default)]
struct Answers {
    next: Cell<u32>,
    slots: RefCell<HashMap<u32, Slot>>,
}

enum Slot {
    Waiting(Option<Waker>),
    Done(Answer),
}

impl Answers {
    fn open(&self) -> u32 {
        let id = self.next.get().wrapping_add(1);
        self.next.set(id);
        self.slots.borrow_mut().insert(id, Slot::Waiting(None));
        id
    }

    /// Files the answer of `id`, unless its invoke was given up (then it is dropped).
    fn settle(&self, id: u32, answer: Answer) {
        let waker = match self.slots.borrow_mut().get_mut(&id) {
            Some(slot) => match std::mem::replace(slot, Slot::Done(answer)) {
                Slot::Waiting(w) => w,
                Slot::Done(_) => None,
            },
            None => None,
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// Resolves with the answer of invoke `id`; dropping it (the deadline passed, the call was
/// cancelled) forgets the invoke, so a late answer is dropped.
struct Pending {
    answers: Rc<Answers>,
    id: u32,
}

impl Future for Pending {
    type Output = Answer;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Answer> {
        let mut slots = self.answers.slots.borrow_mut();
        match slots.remove(&self.id) {
            Some(Slot::Done(answer)) => Poll::Ready(answer),
            Some(Slot::Waiting(_)) | None => {
                slots.insert(self.id, Slot::Waiting(Some(cx.waker().clone())));
                Poll::Pending
            }
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.answers.slots.borrow_mut().remove(&self.id);
    }
}

/// How nodes are reached, resolved from config and what the host offers.
enum Route {
    /// The shim's adapter over `api.runtime.nodes`: `list()` → the gateway's list, `invoke(…)`
    /// (see [`Nodes::send`]); `done` files each answer in `answers`. Resolved once, not looked up
    /// on every invoke.
    Runtime {
        list: Function,
        nodes: Nodes,
        answers: Rc<Answers>,
        done: Closure<dyn FnMut(u32, Option<String>, JsValue)>,
    },
    /// `post(url, headersJson, body, timeoutMs, signal)` → `{status, text}`.
    Http { post: Function, url: String, auth: Option<String>, gateway: String },
}

/// The shim's adapters, shared by every call of one core.
pub struct Io {
    route: Route,
    log: Option<Function>,
    /// `load(key)` → text or null, `save(key, text)`: the plugin's state store.
    store: Option<(Function, Function)>,
    /// `notify(text)`: a system event for the agent (and a heartbeat request); absent when
    /// the host has no system-event API, with `notifyMissing` saying why.
    notify: Result<Function, String>,
    lists: transport::ListCache,
}

/// `obj[key]`, or `undefined` when `obj` is not an object (`Reflect.get` would throw, and a
/// thrown exception costs tens of microseconds).
fn get(obj: &JsValue, key: &str) -> JsValue {
    if !obj.is_object() && !obj.is_function() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// A JS error's text: `code: message` when it has a code (the node's own code from
/// `details.code` when the gateway wrapped it), `message (cause)` for network errors.
fn error_text(e: &JsValue) -> String {
    let message = get(e, "message").as_string().or_else(|| e.as_string()).unwrap_or_else(|| "unknown error".to_owned());
    let node_code = get(&get(e, "details"), "code").as_string();
    let cause = get(&get(e, "cause"), "code").as_string();
    match (node_code.or_else(|| get(e, "code").as_string()), cause) {
        (Some(code), _) if !message.starts_with(&code) => format!("{code}: {message}"),
        (None, Some(cause)) => format!("{message} ({cause})"),
        _ => message,
    }
}

/// A runtime invoke failure, classified from the error's name, codes, message and
/// `retryable` flag (`transport::runtime_failure_kind`).
fn runtime_failure(e: &JsValue) -> Failure {
    let message = error_text(e);
    let detail = get(&get(e, "details"), "code").as_string().unwrap_or_default();
    let name = get(e, "name").as_string().unwrap_or_default();
    let retryable = get(e, "retryable").as_bool().unwrap_or(false);
    let kind = transport::runtime_failure_kind(&format!("{name} {detail} {message}"), retryable);
    let retry_after_ms = get(e, "retryAfterMs").as_f64().filter(|ms| *ms > 0.0).map(|ms| ms as u64);
    Failure { message, kind, retry_after_ms }
}

impl Io {
    /// Resolves the transport; the error names the missing piece.
    pub fn new(io: JsValue, cfg: &Config) -> Result<Io, String> {
        let nodes = get(&io, "nodes");
        let runtime =
            get(&nodes, "list").dyn_into::<Function>().ok().zip(get(&nodes, "invoke").dyn_into::<Function>().ok());
        let log = get(&io, "log").dyn_into::<Function>().ok();
        let store = get(&get(&io, "store"), "load")
            .dyn_into::<Function>()
            .ok()
            .zip(get(&get(&io, "store"), "save").dyn_into::<Function>().ok());
        let notify = get(&io, "notify").dyn_into::<Function>().map_err(|_| {
            get(&io, "notifyMissing").as_string().unwrap_or_else(|| "this host offers no system events".to_owned())
        });
        let route = match (cfg.transport, runtime) {
            (Transport::Runtime, None) => {
                return Err(
                    "transport \"runtime\" needs api.runtime.nodes, which this host does not offer; use \"http\""
                        .into(),
                )
            }
            (Transport::Auto | Transport::Runtime, Some((list, _))) => {
                let answers = Rc::new(Answers::default());
                let filed = Rc::clone(&answers);
                let done = Closure::new(move |id: u32, text: Option<String>, error: JsValue| {
                    filed.settle(id, text.ok_or(error));
                });
                Route::Runtime { list, nodes: nodes.unchecked_into::<Nodes>(), answers, done }
            }
            (Transport::Http, _) | (Transport::Auto, None) => {
                let post = get(&io, "post")
                    .dyn_into::<Function>()
                    .map_err(|_| "the host offers no fetch for the http transport".to_owned())?;
                let token =
                    cfg.gateway_token.clone().or_else(|| get(&io, "envToken").as_string()).filter(|t| !t.is_empty());
                let base = cfg.gateway_url.trim_end_matches('/');
                Route::Http {
                    post,
                    url: format!("{base}/tools/invoke"),
                    auth: token.map(|t| format!("Bearer {t}")),
                    gateway: base.to_owned(),
                }
            }
        };
        Ok(Io { route, log, store, notify, lists: transport::ListCache::default() })
    }

    /// One `POST /tools/invoke`; `deadline_ms` is the invoke's own timeout, which tells a
    /// timed-out node apart from one that answered an error (the gateway hides both as 500).
    async fn http(&self, host: &CallHost, body: String, deadline_ms: u64) -> Result<String, Failure> {
        let timeout_ms = deadline_ms + 5_000;
        let start = js_sys::Date::now();
        let Route::Http { post, url, auth, gateway } = &self.route else {
            return Err(Failure::silent("no http transport"));
        };
        let mut headers = json!({"content-type": "application/json"});
        if let (Some(a), Some(h)) = (auth, headers.as_object_mut()) {
            h.insert("authorization".into(), json!(a));
        }
        let args =
            [url.into(), headers.to_string().into(), body.into(), (timeout_ms as f64).into(), host.signal.clone()];
        let reply = host
            .call(post, &args)
            .await
            .map_err(|e| Failure::silent(format!("cannot reach the gateway at {gateway}: {}", error_text(&e))))?;
        let status = get(&reply, "status").as_f64().unwrap_or(0.0) as u16;
        let text = get(&reply, "text").as_string().unwrap_or_default();
        let waited = js_sys::Date::now() - start;
        transport::http_details(status, &text, gateway)
            .map_err(|message| Failure::new(transport::http_failure_kind(status, &text, waited, deadline_ms), message))
    }
}

/// The host for one call: the shared adapters plus the call's abort signal, progress
/// callback, async context and (for the monitor) event emitter.
pub struct CallHost {
    io: Rc<Io>,
    signal: JsValue,
    abort: Option<Signal>,
    on_update: Option<Function>,
    emit: Option<Function>,
    /// The caller's async context (`AsyncLocalStorage.snapshot()`: `(f, ...args) => f(...args)`
    /// run in the context the call started in). Every call shares one wasm executor, which polls
    /// a call's futures in whichever context woke it — often another call's, already finished —
    /// and the gateway refuses an invoke made in a finished tool call's context ("operator tool
    /// invocation authority expired"). So the adapters are called through it.
    context: Option<Function>,
}

impl CallHost {
    /// A host for one call; `context` is the caller's `AsyncLocalStorage.snapshot()`, if any.
    pub fn new(io: Rc<Io>, signal: JsValue, on_update: JsValue, context: JsValue) -> Self {
        let abort = signal.is_object().then(|| signal.clone().unchecked_into::<Signal>());
        Self {
            io,
            signal,
            abort,
            on_update: on_update.dyn_into::<Function>().ok(),
            emit: None,
            context: context.dyn_into::<Function>().ok(),
        }
    }

    /// Calls one of the shim's adapter functions in the call's async context.
    fn call_now(&self, f: &Function, args: &[JsValue]) -> Result<JsValue, JsValue> {
        match &self.context {
            Some(run) => {
                let all: js_sys::Array =
                    std::iter::once(JsValue::from(f.clone())).chain(args.iter().cloned()).collect();
                run.apply(&JsValue::NULL, &all)
            }
            None => f.apply(&JsValue::NULL, &args.iter().collect::<js_sys::Array>()),
        }
    }

    /// Calls one of the shim's adapter functions in the call's async context and awaits its promise.
    async fn call(&self, f: &Function, args: &[JsValue]) -> Result<JsValue, JsValue> {
        let p = self.call_now(f, args)?;
        JsFuture::from(Promise::resolve(&p)).await
    }

    /// The same host, able to broadcast gateway events.
    pub fn with_emit(mut self, emit: JsValue) -> Self {
        self.emit = emit.dyn_into::<Function>().ok();
        self
    }
}

impl Host for CallHost {
    async fn list_nodes(&self) -> Result<Vec<Rc<NodeEntry>>, String> {
        let listed = match &self.io.route {
            Route::Runtime { list, .. } => {
                let v = self.call(list, &[]).await.map_err(|e| format!("listing nodes failed: {}", error_text(&e)))?;
                let fields: js_sys::Array = transport::NODE_LIST_FIELDS.iter().map(|f| JsValue::from_str(f)).collect();
                let text =
                    JSON::stringify_with_replacer(&v, &fields).ok().and_then(|s| s.as_string()).unwrap_or_default();
                return self.io.lists.parse(text);
            }
            Route::Http { .. } => {
                self.io.http(self, transport::http_list_body(), 25_000).await.map_err(|f| f.message)?
            }
        };
        transport::parse_node_list(&transport::parse_list_text(&listed)?)
    }

    async fn invoke(&self, node_id: &str, command: &str, params: &Value, timeout_ms: u64) -> Result<String, Failure> {
        match &self.io.route {
            Route::Http { .. } => {
                let body = transport::http_invoke_body(node_id, command, params, timeout_ms);
                let details = self.io.http(self, body, timeout_ms).await?;
                // A payload that cannot be read came from the node: it answered.
                transport::http_invoke_payload(&details).map_err(Failure::node)
            }
            Route::Runtime { nodes, answers, done, .. } => {
                let id = answers.open();
                let pending = Pending { answers: Rc::clone(answers), id };
                let params = params.to_string();
                let done: &Function = done.as_ref().unchecked_ref();
                let undefined = JsValue::UNDEFINED;
                let context = self.context.as_ref().map_or(&undefined, |f| f.as_ref());
                nodes
                    .send(node_id, command, &params, timeout_ms as f64, &self.signal, id, done, context)
                    .map_err(|e| runtime_failure(&e))?;
                let text = pending.await.map_err(|e| runtime_failure(&e))?;
                transport::check_payload(text).map_err(Failure::node)
            }
        }
    }

    async fn sleep(&self, ms: u64) {
        gloo_timers::future::TimeoutFuture::new(ms.min(u64::from(u32::MAX)) as u32).await;
    }

    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn cancelled(&self) -> bool {
        self.abort.as_ref().is_some_and(Signal::aborted)
    }

    fn log(&self, level: Level, message: &str) {
        let name = match level {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        };
        if let Some(log) = &self.io.log {
            let _ = log.call2(&JsValue::NULL, &name.into(), &message.into());
        }
    }

    fn progress(&self, text: &str, details: &Value) {
        if let Some(f) = &self.on_update {
            let update = json!({"content": [{"type": "text", "text": text}], "details": details});
            let _ = f.call1(&JsValue::NULL, &JsValue::from_str(&update.to_string()));
        }
    }

    async fn load(&self, key: &str) -> Result<Option<String>, String> {
        let Some((load, _)) = &self.io.store else { return Err("this host offers no state store".to_owned()) };
        let v = self.call(load, &[key.into()]).await.map_err(|e| error_text(&e))?;
        Ok(v.as_string())
    }

    async fn save(&self, key: &str, value: &str) -> Result<(), String> {
        let Some((_, save)) = &self.io.store else { return Err("this host offers no state store".to_owned()) };
        self.call(save, &[key.into(), value.into()]).await.map(|_| ()).map_err(|e| error_text(&e))
    }

    fn can_notify_agent(&self) -> Result<(), String> {
        self.io.notify.as_ref().map(|_| ()).map_err(Clone::clone)
    }

    fn notify_agent(&self, text: &str) -> Result<(), String> {
        let f = self.io.notify.as_ref().map_err(Clone::clone)?;
        self.call_now(f, &[text.into()]).map(|_| ()).map_err(|e| error_text(&e))
    }

    fn emit(&self, event: &str, payload: &Value) {
        if let Some(f) = &self.emit {
            if let Err(e) = f.call3(&JsValue::NULL, &event.into(), &payload.to_string().into(), &"operator.read".into())
            {
                self.log(Level::Warn, &format!("clawbernetes: could not broadcast {event}: {}", error_text(&e)));
            }
        }
    }
}
