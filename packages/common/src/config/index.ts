// Config: the zod schema of gatehouse.yaml and its loader (parsed once, then frozen).
export { formatIssues, loadConfig, parseConfig } from './load.js';
export {
  type AuditConfig,
  AuditConfigSchema,
  type DatabaseConfig,
  DatabaseSchema,
  type EngineConfig,
  type GatehouseConfig,
  GatehouseConfigSchema,
  type ProxyConfig,
  type StorageConfig,
  StorageConfigSchema,
} from './schema.js';
