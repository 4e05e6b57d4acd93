/**
 * A progress bar on stderr for long operations, drawn only when stderr is a terminal so
 * that pipes, logs and `--json` consumers never see it.
 */
export interface Progress {
  update(done: number): void;
  finish(): void;
}

const NO_PROGRESS: Progress = { update: () => undefined, finish: () => undefined };
const WIDTH = 30;
/** Below this many items the operation is over before a bar would help. */
const MIN_ITEMS = 200;

export function startProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY || total < MIN_ITEMS) return NO_PROGRESS;
  let lastDrawn = -1;
  const draw = (done: number) => {
    const filled = Math.min(WIDTH, Math.round((done / total) * WIDTH));
    if (filled === lastDrawn && done < total) return;
    lastDrawn = filled;
    stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${done}/${total}`);
  };
  draw(0);
  return {
    update: draw,
    finish: () => stream.write('\n'),
  };
}
