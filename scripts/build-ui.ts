// Bundles the dashboard (src/ui) with esbuild into dist/ui: index.html plus content-hashed assets.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Where the repository's root is, from this script's own location. */
const repositoryRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Builds the dashboard into `outputDirectory` (default dist/ui): the script and its CSS (uPlot's
 * included) as `assets/app-<hash>.js` / `.css`, and index.html pointing at them.
 * @example await buildUi() // then Keel serves it at /ui
 */
export async function buildUi(
  options: { outputDirectory?: string; minify?: boolean } = {},
): Promise<{ outputDirectory: string; files: string[] }> {
  const outputDirectory = options.outputDirectory ?? join(repositoryRoot, 'dist', 'ui');
  const sourceDirectory = join(repositoryRoot, 'src', 'ui');
  await rm(outputDirectory, { recursive: true, force: true });
  await mkdir(join(outputDirectory, 'assets'), { recursive: true });
  const result = await build({
    entryPoints: { app: join(sourceDirectory, 'main.ts') },
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    minify: options.minify ?? true,
    sourcemap: 'linked',
    entryNames: '[name]-[hash]',
    outdir: join(outputDirectory, 'assets'),
    metafile: true,
    logLevel: 'warning',
    legalComments: 'linked',
  });
  const outputs = Object.keys(result.metafile.outputs).map((path) => basename(path));
  const script = outputs.find((name) => name.endsWith('.js'));
  const style = outputs.find((name) => name.endsWith('.css'));
  if (script === undefined || style === undefined)
    throw new Error(`UI build made no script or style: ${outputs.join(', ')}`);
  const template = await readFile(join(sourceDirectory, 'index.html'), 'utf8');
  const html = template
    .replace('{{script}}', `/ui/assets/${script}`)
    .replace('{{style}}', `/ui/assets/${style}`);
  await writeFile(join(outputDirectory, 'index.html'), html);
  return { outputDirectory, files: ['index.html', ...outputs.map((name) => `assets/${name}`)] };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { outputDirectory, files } = await buildUi();
  console.log(`dashboard built into ${outputDirectory}: ${files.join(', ')}`);
}
