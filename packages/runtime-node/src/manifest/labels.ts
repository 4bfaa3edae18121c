/**
 * Names and labels of the generated objects. The function's pods carry `function: <name>` as Kubeless
 * labelled them (its Service selects on it); trigger pods do not, so the Service never routes to them.
 */

export type Labels = Record<string, string>;

const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'fnkit' };

/** Labels of the function's own objects and pods. */
export function functionLabels(name: string): Labels {
  return { function: name, 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': name, 'app.kubernetes.io/component': 'function', ...MANAGED_BY };
}

/** What the function's Deployment and Service select on. */
export function functionSelector(name: string): Labels {
  return { function: name };
}

/** Labels of a trigger's objects and pods (`instance` distinguishes several of one kind). */
export function triggerLabels(name: string, kind: string, instance: string): Labels {
  return {
    'fnkit.dev/function': name,
    'fnkit.dev/trigger': kind,
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': instance,
    'app.kubernetes.io/component': `trigger-${kind}`,
    ...MANAGED_BY,
  };
}

export function triggerSelector(name: string, instance: string): Labels {
  return { 'fnkit.dev/function': name, 'app.kubernetes.io/instance': instance };
}

/** The annotation whose change rolls the function's pods when the source changes. */
export const SOURCE_CHECKSUM_ANNOTATION = 'fnkit.dev/source-checksum';
