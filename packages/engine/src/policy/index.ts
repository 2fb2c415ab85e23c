// Public surface of the engine's statement policy (for the bench and tests of other packages).
export { AnalysisCache, type AnalysisCacheOptions } from './analysis-cache.js';
export { analyzeSql, type SqlAnalysis } from './sql-analysis.js';
export { decideStatement, type StatementContext, type StatementVerdict } from './statement-policy.js';
