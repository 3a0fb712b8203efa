/** `webnets list [--json]`: every preset with its family, input size and complexity. */
import { parseArgs } from 'node:util';
import { getSpec, presetIds } from '../models/presets';
import { formatTable, markdownTable, modelRow } from './model-table';

const usage = 'webnets list [--json | --markdown]';

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean', default: false },
      markdown: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(
      `${usage}\n\nLists every preset model id with its complexity (see \`webnets info\`).`,
    );
    return 0;
  }
  const rows = presetIds().map((id) => modelRow(getSpec(id)));
  if (values.json) console.log(JSON.stringify(rows, null, 2));
  else console.log(values.markdown ? markdownTable(rows) : formatTable(rows));
  return 0;
}
