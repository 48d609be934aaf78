// `openclaw clawbernetes status | gpus | workloads | deploy`: the fleet from the operator's
// terminal, with the same answers as the agent's tools. Each command asks the running gateway
// to run one tool (gateway method `tools.invoke`, through the host's own CLI gateway client:
// it reads the gateway URL and token from the CLI's config and env, and takes --url/--token),
// so the answer is the tool's, computed in the gateway by the wasm core with the in-process
// node transport. A human table by default, the tool's `details` as JSON with --json.
//
// Exit codes: 0 answered; 2 `status` answered and the core rates the fleet `critical`
// (FleetStatus.severity: usable in cron and CI); 1 the gateway or the tool failed.
// Built into dist/cli.js (scripts/build-ui.mjs) and loaded by the shim's registerCli only in
// CLI processes. Commander comes from the host: registerCli hands over its native program.
import { renderGpus, renderStatus, renderWorkloads } from "./render.js";

/** Exit code of `status` when the fleet has a critical problem. */
export const EXIT_CRITICAL = 2;
/** Exit code when the gateway or the tool failed. */
export const EXIT_FAILED = 1;

/** The gateway's whole message when it hides a tool's error from `tools.invoke` callers. */
const OPAQUE_FAILURE = "tool execution failed";
const SDK = "openclaw/plugin-sdk/gateway-runtime";

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

/** Registers the `clawbernetes` root command on the host's Commander program. */
export async function registerFleetCli(program) {
  const { addGatewayClientOptions, callGatewayFromCli } = await import(SDK);
  const root = program.command("clawbernetes").description("Fleet status, GPUs, workloads and deploy plans from the running gateway");

  /** A subcommand running `tool` with the args `toArgs(options, command)` builds. */
  function toolCommand(name, description, tool, { render, exitCode = () => 0, configure = (c) => c, toArgs }) {
    const cmd = configure(root.command(name).description(description)).option("--json", "Print the tool's details as JSON");
    addGatewayClientOptions(cmd);
    // Commander passes the declared arguments first, then the options, then the command itself
    cmd.action(async (...actionArgs) => {
      const command = actionArgs.at(-1);
      const options = command.opts();
      let output;
      try {
        const answer = await callGatewayFromCli("tools.invoke", options, { name: tool, args: toArgs(options, command) });
        if (!answer?.ok) throw new Error(toolFailure(tool, answer?.error));
        output = answer.output;
      } catch (err) {
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
