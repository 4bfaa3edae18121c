import { Document } from 'yaml';
import type { KubeObject } from './generate-manifest.js';

/**
 * Multi-document YAML, `---` between objects; no anchors, and long lines (source code) never folded.
 * Written for YAML 1.1 readers, which kubectl is: strings such as `on`, `yes`, `y` or `12:30` are quoted,
 * or kubectl would read a boolean or a number where Kubernetes wants a string.
 */
export function toYaml(objects: readonly KubeObject[]): string {
  return objects.map((o) => new Document(o, { aliasDuplicateObjects: false, version: '1.1' }).toString({ lineWidth: 0 })).join('---\n');
}

/** A `kind: List` for tools (`kubectl apply -f -` takes it, too). */
export function toJson(objects: readonly KubeObject[]): string {
  return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`;
}
