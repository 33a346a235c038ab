/**
 * Where commands print. `runCli` points this at the process or, in tests,
 * at buffers; citty does not pass context down to subcommands, so it is a
 * module-level binding set once per run.
 */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  color: boolean;
}

export const processIo: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
};

let current: CliIo = processIo;

export function setIo(io: CliIo): void {
  current = io;
}

export function io(): CliIo {
  return current;
}
