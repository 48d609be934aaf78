// `openclaw clawbernetes status | gpus | workloads | deploy`: the fleet from the operator's
// terminal, with the same answers as the agent's tools. Each command asks the running gateway
// to run one tool (gateway method `tools.invoke`, through the host's own CLI gateway client:
// it reads the gateway URL and token from the CLI's config and env, and takes --url/--token),
// so the answer is the tool's, computed in the gateway by the wasm core with the in-process
// node transport. A human table by default, the tool's `details` as JSON with --json.
//
// Exit codes (README, "CLI"): 0 answered; 1 the gateway or the tool failed; 2 `status` answered
// and the core rates the fleet `critical` (FleetStatus.severity: usable in cron and CI); 3 `deploy`
// did not deploy (no node can host it — also in a dry run —, every candidate refused it, or its
// container failed to start); 4 `deploy` does not know whether the container started (no answer
// from the gateway in time, or the node did not answer workload.run): it may still be running.
// Built into dist/cli.js (scripts/build-ui.mjs) and loaded by the shim's registerCli only in
// CLI processes. Commander comes from the host: registerCli hands over its native program.
import MANIFEST from "../openclaw.plugin.json" with { type: "json" };
import { renderGpus, renderStatus, renderWorkloads } from "./render.js";

/** Exit code when the gateway or the tool failed. */
export const EXIT_FAILED = 1;
/** Exit code of `status` when the fleet has a critical problem. */
export const EXIT_CRITICAL = 2;
/** Exit code of `deploy` when nothing was deployed: not placed, every node refused, or the container failed to start. */
export const EXIT_NOT_DEPLOYED = 3;
/** Exit code of `deploy` when whether the container started is not known: it may still be running. */
export const EXIT_OUTCOME_UNKNOWN = 4;

/** The gateway's whole message when it hides a tool's error from `tools.invoke` callers. */
const OPAQUE_FAILURE = "tool execution failed";
/** The least time `workload.run` gets (RUN_TIMEOUT_MS, src/tools/deploy/mod.rs): a missing image is pulled inside it. */
const RUN_TIMEOUT_MS = 300_000;
/** A deploy's slack on top of its own deadlines: listing the fleet, trying the next node after a refusal, the way back. */
const DEPLOY_MARGIN_MS = 30_000;
/** The host's own default --timeout of a gateway call (addGatewayClientOptions), ms. */
const CALL_TIMEOUT_MS = 30_000;
const SDK = "openclaw/plugin-sdk/gateway-runtime";

/**
 * The default `--timeout` of a deploy that runs (not --dry-run), ms: the fleet check before the
 * plan (one invokeTimeoutMs), `workload.run` (5 min, or invokeTimeoutMs when longer), the watch
 * of the new container (deploy.confirmMs) and a margin. The values are the plugin config this
 * CLI reads (`plugins.entries.clawbernetes.config`), else the manifest's defaults: 368000 ms.
 */
export function deployTimeoutMs(pluginConfig = {}) {
  const defaults = MANIFEST.configSchema.properties;
  const invoke = pluginConfig?.invokeTimeoutMs ?? defaults.invokeTimeoutMs.default;
  const confirm = pluginConfig?.deploy?.confirmMs ?? defaults.deploy.properties.confirmMs.default;
  return invoke + Math.max(invoke, RUN_TIMEOUT_MS) + confirm + DEPLOY_MARGIN_MS;
}

/**
 * The line for a tool that failed (`error` is the gateway's {message}): the message, after the
 * tool's name unless the message starts with it, and a pointer to the gateway log only when
 * the gateway hid the reason ("tool execution failed").
 */
export function toolFailure(tool, error) {
  const message = error?.message ?? "no answer";
  const named = message.startsWith(`${tool}:`) ? message : `${tool}: ${message}`;
  return message === OPAQUE_FAILURE ? `${named} (the gateway log has the reason)` : named;
}

/**
 * The exit code of `deploy` for claw_deploy's details: 4 when a node did not answer
 * workload.run (unansweredNode); in a dry run 0 when the plan has a candidate, else 3; otherwise
 * 3 unless a container was placed and did not fail to start (started: false).
 */
export function deployExitCode(d) {
  if (d.unansweredNode) return EXIT_OUTCOME_UNKNOWN;
  if (d.dryRun) return d.candidates.length ? 0 : EXIT_NOT_DEPLOYED;
  return d.placed && d.started !== false ? 0 : EXIT_NOT_DEPLOYED;
}

/**
 * Registers the `clawbernetes` root command on the host's Commander program.
 * @param {object} program the host's Commander program
 * @param {{pluginConfig?: object}} [o] the plugin's config as this CLI process reads it (the deploy's default timeout)
 */
export async function registerFleetCli(program, { pluginConfig } = {}) {
  const { addGatewayClientOptions, callGatewayFromCli, isGatewayTransportError } = await import(SDK);
  const root = program.command("clawbernetes").description("Fleet status, GPUs, workloads and deploy plans from the running gateway");

  /**
   * A subcommand running `tool` with the args `toArgs(options, command)` builds. With
   * `runTimeoutMs`, --timeout defaults to it when `runs(options)` (the call starts something: a
   * deploy that is not a dry run), else to the host's usual 30 s; a call that starts something
   * and times out has an unknown outcome (exit 4).
   */
  function toolCommand(name, description, tool, { render, exitCode = () => 0, configure = (c) => c, toArgs, runs = () => false, runTimeoutMs }) {
    const cmd = configure(root.command(name).description(description)).option("--json", "Print the tool's details as JSON");
    addGatewayClientOptions(cmd, runTimeoutMs ? { timeoutMs: runTimeoutMs } : undefined);
    if (runTimeoutMs) cmd.options.find((o) => o.long === "--timeout").description = `Timeout in ms (workload.run's 5 min, the start-up watch and a check; a dry run: ${CALL_TIMEOUT_MS})`;
    // Commander passes the declared arguments first, then the options, then the command itself
    cmd.action(async (...actionArgs) => {
      const command = actionArgs.at(-1);
      const options = { ...command.opts() };
      const starts = runs(options);
      if (runTimeoutMs && !starts && command.getOptionValueSource("timeout") === "default") options.timeout = String(CALL_TIMEOUT_MS);
      let output;
      try {
        const answer = await callGatewayFromCli("tools.invoke", options, { name: tool, args: toArgs(options, command) });
        if (!answer?.ok) throw new Error(toolFailure(tool, answer?.error));
        output = answer.output;
      } catch (err) {
        if (starts && isGatewayTransportError(err) && err.kind === "timeout") {
          const first = String(err.message).split("\n")[0];
          process.stderr.write(`clawbernetes ${name}: ${first}: the deploy may still be running; check \`openclaw clawbernetes workloads\`\n`);
          process.exitCode = EXIT_OUTCOME_UNKNOWN;
          return;
        }
        process.stderr.write(`clawbernetes ${name}: ${err?.message ?? err}\n`);
        process.exitCode = EXIT_FAILED;
        return;
      }
      process.stdout.write(`${options.json ? JSON.stringify(output.details, null, 2) : render(output, options)}\n`);
      process.exitCode = exitCode(output.details);
    });
    return cmd;
  }

  toolCommand("status", "Node states, GPUs free, memory, containers and problems (claw_fleet_status)", "claw_fleet_status", {
    configure: (c) => c.option("--node <filter>", "Only nodes whose id is this or whose name contains it"),
    toArgs: (o) => pick({ nodeFilter: o.node }),
    render: (out) => renderStatus(out.details),
    exitCode: (details) => (details.severity === "critical" ? EXIT_CRITICAL : 0),
  });

  toolCommand("gpus", "Every GPU with its utilisation, temperature and who holds it (claw_gpu_inventory)", "claw_gpu_inventory", {
    configure: (c) => c.option("--model <text>", "Part of the GPU model name, e.g. H100").option("--node <node>", "Only this node (id or name)").option("--available", "Only free GPUs"),
    toArgs: (o) => pick({ model: o.model, nodeId: o.node, availableOnly: o.available }),
    render: (out, o) => renderGpus(out.details, { availableOnly: !!o.available }),
  });

  toolCommand("workloads", "Containers on every node, unhealthy and restarting first (claw_workloads)", "claw_workloads", {
    configure: (c) =>
      c.option("--node <node>", "Only this node (id or name)").option("--state <state>", "Docker state: running, exited, created, restarting, paused, dead, unknown").option("--name <text>", "Part of the container name").option("--image <text>", "Part of the image reference"),
    toArgs: (o) => pick({ nodeId: o.node, state: o.state, name: o.name, image: o.image }),
    render: (out) => renderWorkloads(out.details),
  });

  toolCommand("deploy", "Place a container on the best node (claw_deploy); --dry-run only plans", "claw_deploy", {
    configure: (c) =>
      c
        .argument("[command...]", "Command to run in the container (after --)")
        .requiredOption("--image <ref>", "Container image, e.g. pytorch/pytorch:2.0")
        .option("--gpus <n>", "GPUs to bind", toInt)
        .option("--gpu-model <text>", "Part of the required GPU model name")
        .option("--min-vram-mb <mb>", "Least VRAM per GPU in MB", toInt)
        .option("--memory <size>", "Memory limit, e.g. 32g")
        .option("--cpu <n>", "CPUs", toNumber)
        .option("--shm-size <size>", "Shared memory size, e.g. 16g")
        .option("--name <name>", "Container name")
        .option("--strategy <strategy>", "binpack or spread")
        .option("--prefer-node <node>", "Node to use when it can host the workload")
        .option("--env <KEY=VALUE>", "Environment variable (repeatable)", collectEnv, undefined)
        .option("--dry-run", "Plan only; run nothing"),
    toArgs: (o, command) =>
      pick({
        image: o.image,
        gpus: o.gpus,
        gpuModel: o.gpuModel,
        minVramMb: o.minVramMb,
        memory: o.memory,
        cpu: o.cpu,
        shmSize: o.shmSize,
        name: o.name,
        strategy: o.strategy,
        preferNode: o.preferNode,
        env: o.env,
        dryRun: o.dryRun,
        command: command.processedArgs[0]?.length ? command.processedArgs[0] : undefined,
      }),
    render: (out) => out.content.map((c) => c.text).join("\n"),
    exitCode: deployExitCode,
    runs: (o) => !o.dryRun,
    runTimeoutMs: deployTimeoutMs(pluginConfig),
  });
}

/** The args object without the options that were not given (the tool applies its defaults). */
function pick(args) {
  return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined));
}

/** An option value Commander reports as invalid (its InvalidArgumentError carries this code). */
function invalid(message) {
  return Object.assign(new Error(message), { code: "commander.invalidArgument" });
}

function toNumber(value) {
  const n = Number(value);
  if (!Number.isFinite(n)) throw invalid(`not a number: ${value}`);
  return n;
}

function toInt(value) {
  const n = Number(value);
  if (!Number.isInteger(n)) throw invalid(`not an integer: ${value}`);
  return n;
}

function collectEnv(pair, env = {}) {
  const at = pair.indexOf("=");
  if (at < 1) throw invalid(`wants KEY=VALUE, got ${pair}`);
  return { ...env, [pair.slice(0, at)]: pair.slice(at + 1) };
}
