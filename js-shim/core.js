// The wasm core, loaded once per process and shared by every registration (register runs
// more than once), wrapped so that a trap fails one call and the next call gets a fresh
// instance. No fleet logic lives here.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const GLUE = require.resolve("../pkg/clawbernetes.js");
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
export class LiveCore {
  constructor(configJson, io) {
    this.configJson = configJson;
    this.io = io;
    this.core = null;
    this.generation = -1;
    this.monitor = null; // {emit, context} while the monitor service runs, so a fresh core resumes it
    this.get(); // invalid config fails registration here, with the core's message
  }

  get() {
    if (!this.core || this.generation !== slot.generation) {
      this.core = new (glue().Core)(this.configJson, this.io);
      this.generation = slot.generation;
      if (this.monitor) this.core.startMonitor(this.monitor.emit, this.monitor.context);
    }
    return this.core;
  }

  startMonitor(emit, context) {
    this.monitor = { emit, context };
    return this.run((core) => core.startMonitor(emit, context));
  }

  stopMonitor() {
    this.monitor = null;
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

