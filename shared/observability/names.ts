/** Names shared by the functions and the infrastructure (dashboards and alarms read these metrics). */
export const SERVICE_NAME = 'migration-control-plane';
export const METRICS_NAMESPACE = 'MigrationControlPlane';
/** Large batches the reconciler re-drove BATCH_REDRIVES_BEFORE_STALLED times without progress (a gauge, per sweep). */
export const BATCHES_STALLED_METRIC = 'BatchesStalled';
