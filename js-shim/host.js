// The host adapters the wasm core is handed: the node transport (api.runtime.nodes, or fetch
// against the gateway's HTTP API), the logger, the plugin's state store and the agent's system
// events. Each adapter only moves data: every decision about the fleet is made in the core.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const NAMESPACE = "clawbernetes";

// A runtime invoke's payload as JSON text (one string crosses into wasm); `ok: false` rejects.
function payloadText(result) {
  if (result?.ok === false) throw result.error ?? new Error("node invoke failed");
  return typeof result?.payloadJSON === "string" ? result.payloadJSON : JSON.stringify(result?.payload ?? null);
}

/**
 * The plugin's state store: the host's keyed store where the plugin may use it (OpenClaw grants
 * it to trusted installs only; a linked or path-loaded plugin gets PLUGIN_TRUST_REFUSED), else one
 * JSON file per key under the host's state dir (`api.runtime.state.resolveStateDir()`), which is
 * not trust-gated. `undefined` when the host has neither.
 */
function stateStore(api) {
  const state = api.runtime?.state;
  let keyed;
  try {
    keyed = state?.openKeyedStore?.({ namespace: NAMESPACE, maxEntries: 16 });
  } catch {
    keyed = undefined; // refused for untrusted plugins: fall back to files
  }
  if (keyed) {
    return {
      kind: "keyed store",
      load: async (key) => {
        const v = await keyed.lookup(key);
        return typeof v === "string" ? v : null;
      },
      save: async (key, text) => {
        await keyed.register(key, text);
      },
    };
  }
  let dir;
  try {
    dir = state?.resolveStateDir?.();
  } catch {
    dir = undefined;
  }
  if (typeof dir !== "string" || !dir) return undefined;
  const folder = join(dir, "plugins", NAMESPACE);
  const file = (key) => join(folder, `${key.replace(/[^a-z0-9._-]/gi, "_")}.json`);
  return {
    kind: `files in ${folder}`,
    load: async (key) => {
      try {
        return readFileSync(file(key), "utf8");
      } catch (err) {
        if (err?.code === "ENOENT") return null;
        throw err;
      }
    },
    save: async (key, text) => {
      mkdirSync(folder, { recursive: true });
      const tmp = `${file(key)}.${process.pid}.tmp`;
      writeFileSync(tmp, text);
      renameSync(tmp, file(key));
    },
  };
}

/** The agent's system events: a queued event on the main session and a heartbeat request. */
function agentEvents(api) {
  const system = api.runtime?.system;
  if (typeof system?.enqueueSystemEvent !== "function") {
    return { notifyMissing: "this host offers no system events (api.runtime.system.enqueueSystemEvent)" };
  }
  return {
    notify(text) {
      system.enqueueSystemEvent(text, { sessionKey: "main", contextKey: "clawbernetes:health" });
      system.requestHeartbeat?.({ source: "other", intent: "event", reason: "clawbernetes health alert", sessionKey: "main" });
    },
  };
}

/** Everything the core's `Io` reads. */
export function hostAdapters(api) {
  const nodes = api.runtime?.nodes;
  const runtime = typeof nodes?.invoke === "function" && typeof nodes?.list === "function";
  return {
    nodes: runtime
      ? {
          list: () => nodes.list({}),
          // answers through the core's one `done` callback: the core makes no closure per invoke
          // (in the tool call's async context when the core passes one: see CallHost in src/wasm/io.rs)
          invoke(nodeId, command, paramsJson, timeoutMs, signal, id, done, context) {
            const answer = (result) => {
              let text;
              try {
                text = payloadText(result);
              } catch (err) {
                return done(id, undefined, err);
              }
              done(id, text, null);
            };
            const fail = (err) => done(id, undefined, err);
            const send = () => nodes.invoke({ nodeId, command, params: JSON.parse(paramsJson), timeoutMs, signal });
            try {
              (typeof context === "function" ? context(send) : send()).then(answer, fail);
            } catch (err) {
              queueMicrotask(() => fail(err));
            }
          },
        }
      : undefined,
    async post(url, headersJson, body, timeoutMs, signal) {
      const signals = [AbortSignal.timeout(timeoutMs)];
      if (signal) signals.push(signal);
      const res = await fetch(url, { method: "POST", headers: JSON.parse(headersJson), body, signal: AbortSignal.any(signals) });
      return { status: res.status, text: await res.text() };
    },
    log: (level, message) => api.logger?.[level]?.(message),
    envToken: process.env.OPENCLAW_GATEWAY_TOKEN,
    store: stateStore(api),
    ...agentEvents(api),
  };
}
