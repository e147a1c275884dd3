// Vitest global setup: builds the dashboard into dist/ui from src/ui, so tests serve what the sources say.
import { buildUi } from '../../scripts/build-ui.js';

export default async function setup(): Promise<void> {
  await buildUi();
}
