import { Document } from 'yaml';
import type { KubeObject } from './generate-manifest.js';

/** Multi-document YAML, `---` between objects; no anchors, and long lines (source code) never folded. */
export function toYaml(objects: readonly KubeObject[]): string {
  return objects.map((o) => new Document(o, { aliasDuplicateObjects: false }).toString({ lineWidth: 0 })).join('---\n');
}

/** A `kind: List` for tools (`kubectl apply -f -` takes it, too). */
export function toJson(objects: readonly KubeObject[]): string {
  return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`;
}
