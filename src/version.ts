/** The SDK version, shown by the CLI and recorded in packs. Kept equal to package.json's (a unit test checks). */
export const VERSION = '0.1.0';
