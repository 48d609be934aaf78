// The OpenClaw entry of clawbernetes: loads the wasm core, hands it the host (node transport,
// timers, logger, config, state store, system events) and registers what the core describes.
// No fleet logic lives here: every decision is made in Rust, where it is tested natively.
import { createRequire } from "node:module";
import { AsyncLocalStorage } from "node:async_hooks";
import { LiveCore } from "./core.js";
import { hostAdapters } from "./host.js";

const MANIFEST = createRequire(import.meta.url)("../openclaw.plugin.json");

/** Tool arguments as JSON text; arguments too deep for JSON.stringify are the caller's error. */
function argsJson(toolName, params) {
  try {
    return JSON.stringify(params ?? {});
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw Object.assign(new Error(`${toolName}: arguments are nested too deeply (at most 128 levels)`), { code: "INVALID_REQUEST" });
  }
}

/** A method's failure as the gateway reports it: the core's code (INVALID_REQUEST, UNAVAILABLE) and message. */
function methodError(err) {
  const code = typeof err?.code === "string" ? err.code : "UNAVAILABLE";
  return { code, message: String(err?.message ?? err) };
}

/**
 * `openclaw clawbernetes …` (dist/cli.js, built from cli/): imported only when a CLI process runs
 * it. Its root command is declared once, in the manifest's cliCommands.
 */
function registerCli(api) {
  // the plugin config sets the deploy's default timeout (invokeTimeoutMs, deploy.confirmMs)
  api.registerCli?.(async ({ program }) => (await import("../dist/cli.js")).registerFleetCli(program, { pluginConfig: api.pluginConfig }), { descriptors: MANIFEST.cliCommands });
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
        // the core calls the host in the caller's async context (see CallHost in src/wasm/io.rs)
        const context = AsyncLocalStorage.snapshot();
        try {
          return JSON.parse(await live.run((core) => core.callTool(tool.name, argsJson(tool.name, params), signal, progress, context)));
        } catch (err) {
          // The gateway shows HTTP and WS callers (and the agent) the message of an error named
          // ToolInputError (HTTP 400) and hides every other one as "tool execution failed". The
          // core's own errors (bad arguments; no usable clawnode, with the fix) are meant to be
          // read, so they are named that way.
          if (err?.code === "INVALID_REQUEST" || err?.code === "UNAVAILABLE") err.name = "ToolInputError";
          throw err;
        }
      },
    });
  }

  for (const method of spec.methods) {
    api.registerGatewayMethod(
      method.name,
      async ({ params, respond }) => {
        const context = AsyncLocalStorage.snapshot();
        try {
          respond(true, JSON.parse(await live.run((core) => core.callMethod(method.name, JSON.stringify(params ?? {}), context))));
        } catch (err) {
          respond(false, undefined, methodError(err));
        }
      },
      { scope: method.scope },
    );
  }

  api.registerService({
    id: spec.service,
    start(ctx) {
      const emit = (event, payloadJson, scope) => ctx?.gatewayEvents?.emit(event, JSON.parse(payloadJson), { scope });
      return live.startMonitor(emit, AsyncLocalStorage.snapshot());
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

  // Off by default (config nodePolicy): for a protocol-3 node, today's clawnode, the gateway
  // withholds every command a policy names, so a policy only takes commands away (README).
  if (spec.policy) {
    api.registerNodeInvokePolicy?.({
      commands: spec.policy.commands,
      defaultPlatforms: spec.policy.platforms,
      handle: async (ctx) => await ctx.invokeNode(),
    });
  }
}

export default {
  id: "clawbernetes",
  name: "Clawbernetes",
  description: "Run a GPU fleet of clawnodes as one: health, GPU inventory, placement-aware deploys, workloads.",
  register,
};
