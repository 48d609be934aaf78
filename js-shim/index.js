// The OpenClaw entry of clawbernetes: loads the wasm core, hands it the host (node transport,
// timers, logger, config) and registers what the core describes. No fleet logic lives here:
// every decision is made in Rust, where it is tested natively.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const GLUE = require.resolve("../pkg/clawbernetes.js");
const MANIFEST = require("../openclaw.plugin.json");
// One wasm instance per process, shared by every registration (register runs more than once).
const SLOT = Symbol.for("clawbernetes.wasm");
const slot = (globalThis[SLOT] ??= { glue: null, generation: 0 });

function glue() {
  slot.glue ??= require(GLUE);
  return slot.glue;
}

// After a trap the instance's memory cannot be trusted: drop it so the next call gets a fresh one.
function discardInstance() {
  delete require.cache[GLUE];
  slot.glue = null;
  slot.generation += 1;
}

/** A core that survives traps: a trapped call fails with a clear error and the next call starts fresh. */
class LiveCore {
  constructor(configJson, io) {
    this.configJson = configJson;
    this.io = io;
    this.core = null;
    this.generation = -1;
    this.monitorEmit = null; // set while the monitor service runs, so a fresh core resumes it
    this.get(); // invalid config fails registration here, with the core's message
  }

  get() {
    if (!this.core || this.generation !== slot.generation) {
      this.core = new (glue().Core)(this.configJson, this.io);
      this.generation = slot.generation;
      if (this.monitorEmit) this.core.startMonitor(this.monitorEmit);
    }
    return this.core;
  }

  startMonitor(emit) {
    this.monitorEmit = emit;
    return this.run((core) => core.startMonitor(emit));
  }

  stopMonitor() {
    this.monitorEmit = null;
    this.core?.stopMonitor();
  }

  async run(call) {
    try {
      return await call(this.get());
    } catch (err) {
      if (err instanceof WebAssembly.RuntimeError) {
        try {
          this.core?.stopMonitor(); // clears the trapped instance's monitor timer
        } catch {
          // the instance is gone; its timer dies with it
        }
        this.core = null;
        discardInstance();
        throw new Error(`clawbernetes: the wasm core trapped (${err.message}); it was reloaded and the next call starts fresh`);
      }
      throw err;
    }
  }
}

// A runtime invoke's payload as JSON text (one string crosses into wasm); `ok: false` rejects.
function payloadText(result) {
  if (result?.ok === false) throw result.error ?? new Error("node invoke failed");
  return typeof result?.payloadJSON === "string" ? result.payloadJSON : JSON.stringify(result?.payload ?? null);
}

function hostAdapters(api) {
  const nodes = api.runtime?.nodes;
  const runtime = typeof nodes?.invoke === "function" && typeof nodes?.list === "function";
  return {
    nodes: runtime
      ? {
          list: () => nodes.list({}),
          invoke: (nodeId, command, paramsJson, timeoutMs, signal) =>
            nodes.invoke({ nodeId, command, params: JSON.parse(paramsJson), timeoutMs, signal }).then(payloadText),
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
  };
}

/**
 * `openclaw clawbernetes …` (dist/cli.js, built from cli/): imported only when a CLI process runs
 * it. Its root command is declared once, in the manifest's cliCommands.
 */
function registerCli(api) {
  api.registerCli?.(async ({ program }) => (await import("../dist/cli.js")).registerFleetCli(program), { descriptors: MANIFEST.cliCommands });
}

function register(api) {
  // CLI help and routing read only the command metadata; the runtime is off limits then
  if (api.registrationMode === "cli-metadata") return registerCli(api);
  const live = new LiveCore(JSON.stringify(api.pluginConfig ?? {}), hostAdapters(api));
  const spec = JSON.parse(live.get().describe());

  for (const tool of spec.tools) {
    api.registerTool({
      ...tool,
      async execute(_toolCallId, params, signal, onUpdate) {
        const progress = typeof onUpdate === "function" ? (u) => onUpdate(JSON.parse(u)) : undefined;
        const out = await live.run((core) => core.callTool(tool.name, JSON.stringify(params ?? {}), signal, progress));
        return JSON.parse(out);
      },
    });
  }

  for (const method of spec.methods) {
    api.registerGatewayMethod(
      method.name,
      async ({ params, respond }) => {
        try {
          respond(true, JSON.parse(await live.run((core) => core.callMethod(method.name, JSON.stringify(params ?? {})))));
        } catch (err) {
          respond(false, undefined, { code: "UNAVAILABLE", message: String(err?.message ?? err) });
        }
      },
      { scope: method.scope },
    );
  }

  api.registerService({
    id: spec.service,
    start(ctx) {
      return live.startMonitor((event, payloadJson, scope) => ctx?.gatewayEvents?.emit(event, JSON.parse(payloadJson), { scope }));
    },
    stop() {
      live.stopMonitor();
    },
  });

  // The dashboard widget's backend descriptor: the Control UI bundle (dist/control-ui, built
  // from ui/) registers the page and the widget view, which renders only while this is here.
  api.session?.controls?.registerControlUiDescriptor?.({ surface: "widget", id: "fleet-summary", label: "Fleet summary", requiredScopes: ["operator.read"] });
  registerCli(api);
  api.registerCommand?.({
    name: "fleet",
    description: "Fleet summary: node states, GPUs free, memory, workloads and problems",
    acceptsArgs: false,
    requiredScopes: ["operator.read"],
    // the content text of claw_fleet_status, answered without a model turn
    handler: async () => ({ text: JSON.parse(await live.run((core) => core.callTool("claw_fleet_status", "{}"))).content.map((c) => c.text).join("\n") }),
  });

  api.registerNodeInvokePolicy?.({
    commands: spec.policy.commands,
    defaultPlatforms: spec.policy.platforms,
    handle: async (ctx) => await ctx.invokeNode(),
  });
}

export default {
  id: "clawbernetes",
  name: "Clawbernetes",
  description: "Run a GPU fleet of clawnodes as one: health, GPU inventory, placement-aware deploys, workloads.",
  register,
};
