import { stringify } from 'yaml';
import type { KubernetesObject } from './render-manifests.js';

/** Multi-document YAML, ready for `kubectl apply -f -`. */
export function toYaml(objects: readonly KubernetesObject[]): string {
  // No folding of long strings, and no YAML anchors for repeated values (kubectl users read this).
  return objects.map((object) => stringify(object, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}
