// Config: the zod schema of gatehouse.yaml and its loader (parsed once, then frozen).
export { applyKeepalive, DEFAULT_KEEPALIVE, type KeepaliveConfig, KeepaliveSchema } from './keepalive.js';
export { formatIssues, loadConfig, parseConfig } from './load.js';
export {
  type AuditConfig,
  AuditConfigSchema,
  type BackendConfig,
  type DatabaseAdminUserConfig,
  type DatabaseConfig,
  DatabaseSchema,
  type EngineConfig,
  EngineConfigSchema,
  type GatehouseConfig,
  GatehouseConfigSchema,
  type ProxyConfig,
  type RoutingPolicy,
  type StorageConfig,
  StorageConfigSchema,
} from './schema.js';
