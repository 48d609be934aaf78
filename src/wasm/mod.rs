//! The wasm boundary: the only module that names `wasm_bindgen`, `js_sys`, `JsValue` or
//! `gloo_timers`. One exported facade, [`Core`]; JSON strings both ways; every error becomes
//! one JS `Error` with the core's message and the gateway's code (`err.code`).

mod io;

use crate::config::Config;
use crate::error::Error;
use crate::plugin::Plugin;
use crate::{io::watch, methods, register, tools};
use futures_util::future::{abortable, AbortHandle};
use io::{CallHost, Io};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, spawn_local};

/// The plugin core as JavaScript sees it.
#[wasm_bindgen]
pub struct Core {
    plugin: Rc<Plugin>,
    io: Rc<Io>,
    monitor: RefCell<Option<AbortHandle>>,
    /// The gateway-event emitter the monitor service handed over: every tick broadcasts its
    /// transitions with it, also the ones a method runs (`health-check`, a fresh snapshot).
    emit: RefCell<JsValue>,
}

/// The one conversion of the core's errors: a JS `Error` whose `code` is the gateway's code.
fn into_js(e: Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    let _ = js_sys::Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(e.code()));
    err.into()
}

/// `text` parsed; `what` (`claw_deploy: arguments`) names it in the error. serde_json stops at
/// 128 levels of nesting, which no argument of this plugin needs.
fn parse_json(what: &str, text: &str) -> Result<serde_json::Value, JsValue> {
    serde_json::from_str(text).map_err(|e| {
        let why = if e.to_string().starts_with("recursion limit exceeded") {
            format!("{what} are nested too deeply (at most 128 levels)")
        } else {
            format!("{what} is not valid JSON: {e}")
        };
        into_js(Error::InvalidArgument(why))
    })
}

#[wasm_bindgen]
impl Core {
    /// Builds the core from the plugin config (JSON) and the host adapters from the shim.
    #[wasm_bindgen(constructor)]
    pub fn new(config_json: &str, io: JsValue) -> Result<Core, JsValue> {
        let config = Config::from_json(config_json).map_err(|e| into_js(Error::InvalidArgument(e.to_string())))?;
        let io = Io::new(io, &config).map_err(|e| into_js(Error::Unavailable(e)))?;
        Ok(Core {
            plugin: Rc::new(Plugin::new(config)),
            io: Rc::new(io),
            monitor: RefCell::new(None),
            emit: RefCell::new(JsValue::UNDEFINED),
        })
    }

    /// What to register: tools, methods, service, node invoke policy, allowlist (JSON).
    pub fn describe(&self) -> String {
        register::describe(&self.plugin.config).to_string()
    }

    /// Runs a tool; resolves to `{content, details}` as JSON, rejects with the reason. `context`
    /// is the caller's `AsyncLocalStorage.snapshot()`: the host adapters run in it.
    #[wasm_bindgen(js_name = callTool)]
    pub fn call_tool(
        &self,
        name: String,
        args_json: String,
        signal: JsValue,
        on_update: JsValue,
        context: JsValue,
    ) -> js_sys::Promise {
        let plugin = Rc::clone(&self.plugin);
        let host = CallHost::new(Rc::clone(&self.io), signal, on_update, context);
        future_to_promise(async move {
            let args = parse_json(&format!("{name}: arguments"), &args_json)?;
            let out = tools::call(&plugin, &host, &name, &args).await.map_err(into_js)?;
            Ok(JsValue::from_str(out.tool_result()))
        })
    }

    /// Serves a gateway method; resolves to the payload as JSON, rejects with the reason
    /// (`context` as for `callTool`).
    #[wasm_bindgen(js_name = callMethod)]
    pub fn call_method(&self, name: String, params_json: String, context: JsValue) -> js_sys::Promise {
        let plugin = Rc::clone(&self.plugin);
        let host = CallHost::new(Rc::clone(&self.io), JsValue::UNDEFINED, JsValue::UNDEFINED, context)
            .with_emit(self.emit.borrow().clone());
        future_to_promise(async move {
            let params = parse_json("method params", &params_json)?;
            let out = methods::call(&plugin, &host, &name, &params).await.map_err(into_js)?;
            Ok(JsValue::from_str(&out))
        })
    }

    /// Starts the health monitor; `emit(event, payloadJson, scope)` broadcasts transitions
    /// (`context` as for `callTool`: the service's).
    #[wasm_bindgen(js_name = startMonitor)]
    pub fn start_monitor(&self, emit: JsValue, context: JsValue) {
        self.stop_monitor();
        *self.emit.borrow_mut() = emit.clone();
        let plugin = Rc::clone(&self.plugin);
        let host = CallHost::new(Rc::clone(&self.io), JsValue::UNDEFINED, JsValue::UNDEFINED, context).with_emit(emit);
        let (task, handle) = abortable(async move { watch::run(&plugin, &host).await });
        *self.monitor.borrow_mut() = Some(handle);
        spawn_local(async move {
            let _ = task.await;
        });
    }

    /// Stops the health monitor; its pending timer is cleared as the task is dropped.
    #[wasm_bindgen(js_name = stopMonitor)]
    pub fn stop_monitor(&self) {
        if let Some(h) = self.monitor.borrow_mut().take() {
            h.abort();
        }
        self.plugin.ticking.set(false);
    }
}

/// Traps the module on purpose, so tests can check the shim survives it.
#[cfg(feature = "fault-injection")]
#[wasm_bindgen(js_name = forceTrap)]
pub fn force_trap() {
    core::arch::wasm32::unreachable()
}
