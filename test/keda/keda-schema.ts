/**
 * Validates KEDA objects offline as a KEDA v2.20.2 cluster would: the CRD's OpenAPI schema
 * with Kubernetes' strict field validation (an unknown or misspelled field is an error, as
 * `kubectl apply` reports it), `x-kubernetes-int-or-string`, the CEL rule min <= max, and
 * every trigger's metadata keys against KEDA's scalers schema (KEDA itself would silently
 * ignore a misspelled key — the worst kind of autoscaling bug).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse, parseAllDocuments } from 'yaml';

const here = join(dirname(fileURLToPath(import.meta.url)), 'crds');

type Schema = Record<string, unknown>;
export interface KubernetesDoc {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, any>;
  [key: string]: unknown;
}

const CRD_FILES: Record<string, string> = {
  ScaledObject: 'keda.sh_scaledobjects.yaml',
  ScaledJob: 'keda.sh_scaledjobs.yaml',
  TriggerAuthentication: 'keda.sh_triggerauthentications.yaml',
};
export const KEDA_KINDS = Object.keys(CRD_FILES);

/** Kubernetes semantics in plain JSON Schema: unknown fields rejected, int-or-string as anyOf. */
function toStrictJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toStrictJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const source = node as Schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(source)) {
    if (key.startsWith('x-kubernetes-')) continue;
    out[key] = toStrictJsonSchema(value);
  }
  if (source['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (source.properties !== undefined && source.additionalProperties === undefined && source['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.additionalProperties = false;
  }
  return out;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const validators = new Map<string, ValidateFunction>();
function validatorFor(kind: string): ValidateFunction {
  let validate = validators.get(kind);
  if (!validate) {
    const crd = parse(readFileSync(join(here, CRD_FILES[kind]), 'utf8'));
    const version = crd.spec.versions.find((v: { name: string }) => v.name === 'v1alpha1');
    const schema = toStrictJsonSchema(version.schema.openAPIV3Schema) as Schema;
    // The CRD leaves metadata open; Kubernetes requires a name.
    (schema.properties as Schema).metadata = { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 } } };
    schema.required = ['apiVersion', 'kind', 'metadata', 'spec'];
    validate = ajv.compile(schema);
    validators.set(kind, validate);
  }
  return validate;
}

interface ScalerParameter {
  name: string;
  metadataVariableReadable?: boolean;
  triggerAuthenticationVariableReadable?: boolean;
}
const scalers = new Map<string, ScalerParameter[]>(
  (JSON.parse(readFileSync(join(here, 'scalers-schema.json'), 'utf8')).scalers as { type: string; parameters: ScalerParameter[] }[]).map((s) => [
    s.type,
    s.parameters,
  ]),
);

/** Metadata keys a trigger of this type may set (from KEDA's scalers schema). */
export function metadataKeys(type: string): Set<string> | undefined {
  const parameters = scalers.get(type);
  // `<name>FromEnv` reads the value from the target container's environment.
  return parameters && new Set(parameters.filter((p) => p.metadataVariableReadable).flatMap((p) => [p.name, `${p.name}FromEnv`]));
}

/** Parameters a TriggerAuthentication may provide to this scaler type. */
export function authenticationParameters(type: string): Set<string> | undefined {
  const parameters = scalers.get(type);
  return parameters && new Set(parameters.filter((p) => p.triggerAuthenticationVariableReadable).map((p) => p.name));
}

/** Every problem found in one KEDA object; an empty list means valid. */
export function validateKedaObject(doc: KubernetesDoc): string[] {
  const kind = doc.kind ?? '';
  const where = `${kind}/${doc.metadata?.name ?? '?'}`;
  if (!KEDA_KINDS.includes(kind)) return [`${where}: not a KEDA kind this suite knows`];
  if (doc.apiVersion !== 'keda.sh/v1alpha1') return [`${where}: apiVersion ${doc.apiVersion} is not keda.sh/v1alpha1`];
  const validate = validatorFor(kind);
  const errors: string[] = [];
  if (!validate(doc)) {
    for (const e of validate.errors ?? []) {
      const extra = e.keyword === 'additionalProperties' ? ` (${(e.params as { additionalProperty: string }).additionalProperty})` : '';
      errors.push(`${where}: ${e.instancePath || '/'} ${e.message}${extra}`);
    }
  }
  const spec = doc.spec ?? {};
  if (kind === 'ScaledObject' && spec.minReplicaCount !== undefined && spec.minReplicaCount > (spec.maxReplicaCount ?? 100)) {
    errors.push(`${where}: minReplicaCount must be less than or equal to maxReplicaCount`);
  }
  for (const [index, trigger] of ((spec.triggers ?? []) as { type?: string; metadata?: Record<string, string> }[]).entries()) {
    const allowed = metadataKeys(trigger.type ?? '');
    if (!allowed) {
      errors.push(`${where}: /spec/triggers/${index}/type ${JSON.stringify(trigger.type)} is not a KEDA scaler`);
      continue;
    }
    for (const key of Object.keys(trigger.metadata ?? {})) {
      if (!allowed.has(key)) errors.push(`${where}: /spec/triggers/${index}/metadata/${key} is not a ${trigger.type} metadata key`);
    }
  }
  return errors;
}

/** Parses a (multi-document) YAML text into its non-empty documents. */
export function parseDocuments(text: string): KubernetesDoc[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0) throw document.errors[0];
      return document.toJS() as KubernetesDoc | null;
    })
    .filter((doc): doc is KubernetesDoc => doc !== null && typeof doc === 'object');
}
