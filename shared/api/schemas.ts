import * as z from 'zod';
import { BATCH_OPERATIONS, MAX_BATCH_SIZE } from '../domain/batch';
import { DATA_SOURCE_ENGINES } from '../domain/data-source';
import { ALERT_LEVELS, PROJECT_STATUSES } from '../domain/project';
import { MAX_SOURCES } from '../domain/sources';
import { SWITCHOVER_STEPS } from '../domain/subtasks';
import { ruleFor, type UserOperation } from '../domain/transitions';

/** Request schemas: the one source of truth for what the API accepts. Unknown fields are rejected. */

/**
 * Builds one schema. Every schema below is built through it with a `@__PURE__` call, so a function's
 * bundle keeps (and builds at init) only the schemas its handler uses: building zod schemas is most of
 * what this module costs at cold start (bench/RESULTS.md, P3).
 */
function schema<T>(build: () => T): T {
  return build();
}

export const Id = /* @__PURE__ */ schema(() => z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'must be an id returned by this API'));
export const ResourceName = /* @__PURE__ */ schema(() =>
  z
    .string()
    .min(1)
    .max(64)
    .regex(/^[\p{L}\p{N}][\p{L}\p{N}_.\-]*$/u, 'letters, digits, "_", "." and "-", starting with a letter or digit'),
);
export const AlertLevel = /* @__PURE__ */ schema(() => z.enum(ALERT_LEVELS));
export const ProjectStatus = /* @__PURE__ */ schema(() => z.enum(PROJECT_STATUSES));
export const Label = /* @__PURE__ */ schema(() => z.string().regex(/^[\p{L}\p{N}_.:/=+@-]{1,64}$/u, '1 to 64 letters, digits or _.:/=+@-'));

const Hostname = /* @__PURE__ */ schema(() =>
  z
    .string()
    .min(1)
    .max(253)
    .regex(/^[A-Za-z0-9.:[\]_-]+$/, 'a host name or IP address'),
);
const SecretArn = /* @__PURE__ */ schema(() =>
  z
    .string()
    .max(2048)
    .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/, 'an AWS Secrets Manager secret ARN'),
);

const CREDENTIAL_FIELDS = ['password', 'passwd', 'pwd', 'secret', 'credentials'];

/** Rejects a body that tries to hand us a password, with a message that says what to do instead. */
const noInlineCredentials = /* @__PURE__ */ schema(() =>
  z.unknown().superRefine((v, ctx) => {
    if (typeof v !== 'object' || v === null) return;
    for (const field of CREDENTIAL_FIELDS) {
      if (field in v) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: 'Credentials are never accepted: store them in AWS Secrets Manager and pass secretArn.',
        });
      }
    }
  }),
);

export const CreateDataSourceBody = /* @__PURE__ */ schema(() =>
  noInlineCredentials.pipe(
    z.strictObject({
      name: ResourceName,
      engine: z.enum(DATA_SOURCE_ENGINES),
      host: Hostname,
      port: z.number().int().min(1).max(65535),
      username: z.string().min(1).max(128),
      database: z.string().min(1).max(128).optional(),
      secretArn: SecretArn.optional(),
    }),
  ),
);

export const MigrationTypeSchema = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      structureMigration: z.boolean(),
      fullMigration: z.boolean(),
      incrementalSync: z.boolean(),
      fullVerification: z.boolean(),
      reverseIncrementalSync: z.boolean(),
    })
    .refine((m) => m.structureMigration || m.fullMigration || m.incrementalSync, {
      message: 'at least one of structureMigration, fullMigration, incrementalSync must be true',
    })
    .refine((m) => !m.reverseIncrementalSync || m.incrementalSync, {
      message: 'reverseIncrementalSync needs incrementalSync (it starts at the forward switchover)',
      path: ['reverseIncrementalSync'],
    }),
);

/**
 * The tables list is bounded by its UTF-8 size as JSON (what DynamoDB and Lambda count), not only by
 * entries: 1,000 tables with long CJK names would otherwise make a ~770 KB project item (DynamoDB stops
 * at 400 KB) and a list page of such projects would pass Lambda's 6 MB response limit.
 */
export const MAX_TABLES_BYTES = 64 * 1024;

const utf8Bytes = (s: string) => new TextEncoder().encode(s).length;

const TableRefSchema = /* @__PURE__ */ schema(() =>
  z.strictObject({
    schema: z.string().min(1).max(128),
    table: z.string().min(1).max(128),
  }),
);

const TablesSchema = /* @__PURE__ */ schema(() =>
  z
    .array(TableRefSchema)
    .min(1)
    .max(1000)
    .refine((t) => new Set(t.map((r) => `${r.schema}\u0000${r.table}`)).size === t.length, { message: 'tables must not repeat' })
    .refine((t) => utf8Bytes(JSON.stringify(t)) <= MAX_TABLES_BYTES, {
      message: `tables must be at most ${MAX_TABLES_BYTES} bytes as UTF-8 JSON (names in CJK scripts take 3 bytes a character)`,
    }),
);

export const CreateProjectBody = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      name: ResourceName,
      description: z.string().max(1024).optional(),
      sourceId: Id.optional(),
      sourceIds: z
        .array(Id)
        .min(1)
        .max(MAX_SOURCES)
        .optional()
        .meta({
          description:
            'Every source, merged into the one destination. With several, migrationType.reverseIncrementalSync must be false (400 VALIDATION_FAILED, issue code reverse_sync_several_sources at ["body","migrationType","reverseIncrementalSync"]): rows written on the merged destination cannot be routed back to one of several sources.',
        }),
      destinationId: Id,
      migrationType: MigrationTypeSchema,
      tables: TablesSchema.optional(),
      alertLevel: AlertLevel.optional(),
      labels: z.array(Label).max(20).optional(),
    })
    .superRefine((p, ctx) => {
      if (p.sourceId === undefined && p.sourceIds === undefined) ctx.addIssue({ code: 'custom', path: ['sourceIds'], message: 'give sourceIds (or the shorthand sourceId)' });
      if (p.sourceId !== undefined && p.sourceIds !== undefined && p.sourceIds[0] !== p.sourceId) {
        ctx.addIssue({ code: 'custom', path: ['sourceId'], message: 'sourceId, when given with sourceIds, must be its first entry' });
      }
      (p.sourceIds ?? []).forEach((id, i) => {
        if ((p.sourceIds ?? []).indexOf(id) !== i) ctx.addIssue({ code: 'custom', path: ['sourceIds', i], message: `source '${id}' is listed twice` });
      });
      const sources = p.sourceIds ?? (p.sourceId !== undefined ? [p.sourceId] : []);
      if (sources.includes(p.destinationId)) ctx.addIssue({ code: 'custom', path: ['destinationId'], message: 'source and destination must differ' });
    }),
);

/**
 * POST /projects/{id}/clone: a new name, and optionally any field of the create body to change; the
 * others are the original project's (the merged body must then be a valid create body).
 */
export const CloneProjectBody = /* @__PURE__ */ schema(() =>
  z.strictObject({
    name: ResourceName,
    description: z.string().max(1024).optional(),
    sourceId: Id.optional(),
    destinationId: Id.optional(),
    migrationType: MigrationTypeSchema.optional(),
    tables: TablesSchema.optional(),
    alertLevel: AlertLevel.optional(),
    labels: z.array(Label).max(20).optional(),
  }),
);

/**
 * A page size in a query string: decimal digits only (a bare coercion would take `0x10`, `1e1`, ` 16` or
 * `16.0` as 16, which the contract's integer does not allow), 1 to 100, 50 when absent.
 */
const PageLimit = () =>
  z.preprocess(
    (v) => (typeof v === 'string' && /^[0-9]{1,6}$/.test(v) ? Number(v) : v),
    z.number({ error: 'limit must be a whole number from 1 to 100, in decimal digits' }).int().min(1).max(100).default(50),
  );

export const ListProjectsQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({
    status: ProjectStatus.optional(),
    label: Label.optional(),
    limit: PageLimit(),
    nextToken: z.string().min(1).max(2048).optional(),
  }),
);

export const ListQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({
    limit: PageLimit(),
    nextToken: z.string().min(1).max(2048).optional(),
  }),
);

export const IdPath = /* @__PURE__ */ schema(() => z.strictObject({ id: Id }));
export const EmptyBody = /* @__PURE__ */ schema(() => z.strictObject({}).optional());
export const EmptyQuery = /* @__PURE__ */ schema(() => z.strictObject({}));
/** confirmName is checked by the use case, so a missing one answers CONFIRMATION_MISMATCH like a wrong one. */
export const DeleteProjectQuery = /* @__PURE__ */ schema(() => z.strictObject({ confirmName: z.string().max(256).optional() }));
export const AlertConfigBody = /* @__PURE__ */ schema(() => z.strictObject({ level: AlertLevel }));

export const SwitchoverStepName = /* @__PURE__ */ schema(() => z.enum(SWITCHOVER_STEPS.map((s) => s.name) as [(typeof SWITCHOVER_STEPS)[number]['name'], ...(typeof SWITCHOVER_STEPS)[number]['name'][]]));
export const ConfirmStepBody = /* @__PURE__ */ schema(() => z.strictObject({ step: SwitchoverStepName }));

/** Pause and resume: optionally only some sources of a multi-source project (TiDB DM's `-s source`). */
export const SourcesBody = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      sources: z
        .array(Id)
        .min(1)
        .max(MAX_SOURCES)
        .refine((l) => new Set(l).size === l.length, { message: 'sources must not repeat' })
        .optional()
        .meta({ description: 'Only these sources of a multi-source project; absent: the whole project.' }),
    })
    .optional(),
);

/** The named bodies operation records refer to (`http.body`); an operation without one takes none. */
export const OPERATION_BODIES = {
  alertLevel: AlertConfigBody,
  step: ConfirmStepBody,
  sources: SourcesBody,
} as const;

/** The body schema of a user-facing operation, from its record. */
export function operationBody(operation: UserOperation): (typeof OPERATION_BODIES)[keyof typeof OPERATION_BODIES] | typeof EmptyBody {
  // (pause/resume take `sources`)
  const body = ruleFor(operation).http?.body;
  return body ? OPERATION_BODIES[body] : EmptyBody;
}

/** POST /batch-operations: projectIds (1..1000, unique) or a selector; see shared/usecases/batch.ts. */
export const BatchOperationBody = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      operation: z.enum(BATCH_OPERATIONS),
      projectIds: z.array(Id).min(1).max(MAX_BATCH_SIZE).optional(),
      selector: z
        .strictObject({ status: ProjectStatus.optional(), label: Label.optional(), sourceId: Id.optional().meta({ description: 'Every project that reads this data source.' }) })
        .refine((s) => s.status !== undefined || s.label !== undefined || s.sourceId !== undefined, { message: 'name a status, a label, a sourceId, or several' })
        .optional(),
      dryRun: z.boolean().optional(),
      parameters: z
        .strictObject({
          level: AlertLevel.optional(),
          sources: z.array(Id).min(1).max(MAX_SOURCES).optional().meta({ description: 'pause/resume: only these sources in each selected project (a project reading none of them is ineligible: SOURCE_NOT_IN_PROJECT).' }),
        })
        .optional(),
      expectedVersions: z
        .record(Id, z.number().int().min(1))
        .refine((v) => Object.keys(v).length <= MAX_BATCH_SIZE, { message: `at most ${MAX_BATCH_SIZE} entries` })
        .optional(),
      nextToken: z.string().min(1).max(2048).optional(),
    })
    .superRefine((b, ctx) => {
      if ((b.projectIds === undefined) === (b.selector === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['projectIds'], message: 'give either projectIds or selector' });
      }
      if (b.projectIds) {
        const seen = new Set<string>();
        const repeated = [...new Set(b.projectIds.filter((id) => seen.size === seen.add(id).size))];
        if (repeated.length > 0) ctx.addIssue({ code: 'custom', path: ['projectIds'], message: `ids must not repeat: ${repeated.slice(0, 10).join(', ')}` });
        if (b.nextToken !== undefined) ctx.addIssue({ code: 'custom', path: ['nextToken'], message: 'nextToken continues a selector' });
        const ids = new Set(b.projectIds);
        const stray = Object.keys(b.expectedVersions ?? {}).filter((id) => !ids.has(id));
        if (stray.length > 0) ctx.addIssue({ code: 'custom', path: ['expectedVersions'], message: `not among projectIds: ${stray.slice(0, 10).join(', ')}` });
      }
      if (b.operation === 'modify-alert-config' && !b.parameters?.level) {
        ctx.addIssue({ code: 'custom', path: ['parameters', 'level'], message: 'modify-alert-config needs parameters.level' });
      }
      if (b.operation !== 'modify-alert-config' && b.parameters?.level !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['parameters', 'level'], message: `${b.operation} takes no level` });
      }
    }),
);
