// Helpers for tests of configuration files: write one into a directory and run `bulwark check -c` on it there.

import fs from 'node:fs';
import path from 'node:path';
import { bulwarkBin, runCommand } from './raw-stdio.mjs';

/** The minimal valid head of a configuration whose `tools:` list follows (append entries indented by two). */
export const TOOLS_HEAD = 'server:\n  name: bad\n  version: "1"\ntools:\n';

/** Writes `yaml` to dir/name and runs `bulwark check -c name` with dir as the working directory. */
export function checkConfigIn(dir, name, yaml) {
  fs.writeFileSync(path.join(dir, name), yaml);
  return runCommand(bulwarkBin(), ['check', '-c', name], { cwd: dir });
}
