/** Names shared by the functions and the infrastructure (dashboards and alarms read these metrics). */
export const SERVICE_NAME = 'migration-control-plane';
export const METRICS_NAMESPACE = 'MigrationControlPlane';
