// Analyses by statement digest (the text with its literals taken out, sql-digest.ts), least
// recently used first out, so a session repeating statements (or many sessions running the same
// ones with other values) pays a digest and a Map lookup instead of a parse. Bounded in entries
// and in the length of text kept; longer texts are parsed each time.
import { analyzeSql, type SqlAnalysis } from './sql-analysis.js';
import { digestSql } from './sql-digest.js';

export interface AnalysisCacheOptions {
  readonly maxEntries?: number;
  /** Texts longer than this (UTF-16 units) are not kept. */
  readonly maxTextLength?: number;
}

export class AnalysisCache {
  readonly #entries = new Map<string, SqlAnalysis>();
  readonly #maxEntries: number;
  readonly #maxTextLength: number;
  hits = 0;
  misses = 0;

  constructor(options: AnalysisCacheOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 4096;
    this.#maxTextLength = options.maxTextLength ?? 16 * 1024;
  }

  get size(): number {
    return this.#entries.size;
  }

  analyze(sql: string): SqlAnalysis {
    if (sql.length > this.#maxTextLength) {
      this.misses++;
      return analyzeSql(sql);
    }
    const key = digestSql(sql);
    const cached = this.#entries.get(key);
    if (cached !== undefined) {
      this.hits++;
      // Map keeps insertion order: re-inserting marks the entry most recently used.
      this.#entries.delete(key);
      this.#entries.set(key, cached);
      return cached;
    }
    this.misses++;
    const analysis = analyzeSql(key);
    if (analysis.kind === 'unparsed' && key !== sql) {
      // A literal stood where the grammar wants something else: the text itself decides, and
      // is not cached under a digest other texts share (the literal may have been a name).
      return analyzeSql(sql);
    }
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, analysis);
    return analysis;
  }
}

/** The engine's one cache: analyses depend on the text only, so every session shares it. */
export const sharedAnalysisCache = new AnalysisCache();
