import { preparePacks } from '../tools/prepare-packs';
import { makeFakeCameraVideo } from './fake-camera';

/**
 * Before the browser tests, as `npm run demo` does: converts the checkpoints in shared/
 * into packs (quick when unchanged), and makes the fake camera's video of chelsea.png.
 * Nothing here stops other specs: the demo spec fails, saying what is missing.
 */
export default async function demoSetup(): Promise<void> {
  const { failures } = await preparePacks();
  for (const f of failures) console.warn(`demo setup: ${f}`);
  await makeFakeCameraVideo().catch((e: unknown) => console.warn(`demo setup: ${String(e)}`));
}
