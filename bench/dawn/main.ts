/** Entry of the Dawn benchmark (bench/dawn/run.ts): `node --experimental-wasm-relaxed-simd --import tsx bench/dawn/main.ts`. */
import { root } from '../lib/paths';
import { runMain } from '../lib/options';
import { runDawnBench } from './run';

await runMain('bench:dawn', () => runDawnBench(process.argv.slice(2), root));
