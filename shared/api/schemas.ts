import * as z from 'zod';
import { DATA_SOURCE_ENGINES } from '../domain/data-source';
import { ALERT_LEVELS, PROJECT_STATUSES } from '../domain/project';
import { SWITCHOVER_STEPS } from '../domain/subtasks';

/** Request schemas: the one source of truth for what the API accepts. Unknown fields are rejected. */

export const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'must be an id returned by this API');
export const ResourceName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\p{L}\p{N}][\p{L}\p{N}_.\-]*$/u, 'letters, digits, "_", "." and "-", starting with a letter or digit');
export const AlertLevel = z.enum(ALERT_LEVELS);
export const ProjectStatus = z.enum(PROJECT_STATUSES);
export const Label = z.string().regex(/^[\p{L}\p{N}_.:/=+@-]{1,64}$/u, '1 to 64 letters, digits or _.:/=+@-');

const Hostname = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9.:[\]_-]+$/, 'a host name or IP address');
const SecretArn = z
  .string()
  .max(2048)
  .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/, 'an AWS Secrets Manager secret ARN');

const CREDENTIAL_FIELDS = ['password', 'passwd', 'pwd', 'secret', 'credentials'];

/** Rejects a body that tries to hand us a password, with a message that says what to do instead. */
const noInlineCredentials = z.unknown().superRefine((v, ctx) => {
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
});

export const CreateDataSourceBody = noInlineCredentials.pipe(
  z.strictObject({
    name: ResourceName,
    engine: z.enum(DATA_SOURCE_ENGINES),
    host: Hostname,
    port: z.number().int().min(1).max(65535),
    username: z.string().min(1).max(128),
    database: z.string().min(1).max(128).optional(),
    secretArn: SecretArn.optional(),
  }),
);

export const MigrationTypeSchema = z
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
  });

const TableRefSchema = z.strictObject({
  schema: z.string().min(1).max(128),
  table: z.string().min(1).max(128),
});

export const CreateProjectBody = z
  .strictObject({
    name: ResourceName,
    description: z.string().max(1024).optional(),
    sourceId: Id,
    destinationId: Id,
    migrationType: MigrationTypeSchema,
    tables: z
      .array(TableRefSchema)
      .min(1)
      .max(1000)
      .refine((t) => new Set(t.map((r) => `${r.schema}\u0000${r.table}`)).size === t.length, { message: 'tables must not repeat' })
      .optional(),
    alertLevel: AlertLevel.optional(),
    labels: z.array(Label).max(20).optional(),
  })
  .refine((p) => p.sourceId !== p.destinationId, { message: 'source and destination must differ', path: ['destinationId'] });

export const ListProjectsQuery = z.strictObject({
  status: ProjectStatus.optional(),
  label: Label.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  nextToken: z.string().min(1).max(2048).optional(),
});

export const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  nextToken: z.string().min(1).max(2048).optional(),
});

export const IdPath = z.strictObject({ id: Id });
export const EmptyBody = z.strictObject({}).optional();
export const EmptyQuery = z.strictObject({});
/** confirmName is checked by the use case, so a missing one answers CONFIRMATION_MISMATCH like a wrong one. */
export const DeleteProjectQuery = z.strictObject({ confirmName: z.string().max(256).optional() });
export const AlertConfigBody = z.strictObject({ level: AlertLevel });

export const SwitchoverStepName = z.enum(SWITCHOVER_STEPS.map((s) => s.name) as [(typeof SWITCHOVER_STEPS)[number]['name'], ...(typeof SWITCHOVER_STEPS)[number]['name'][]]);
export const ConfirmStepBody = z.strictObject({ step: SwitchoverStepName });

/** Body of each lifecycle route, by operation. */
export const LIFECYCLE_BODIES = {
  start: EmptyBody,
  pause: EmptyBody,
  resume: EmptyBody,
  release: EmptyBody,
  delete: EmptyBody,
  'modify-alert-config': AlertConfigBody,
  'skip-full-verification': EmptyBody,
  'enter-forward-switchover': EmptyBody,
  'start-forward-switchover': EmptyBody,
  'confirm-switchover-step': ConfirmStepBody,
} as const;
