// Glob matching for role rules: '*' matches any run of characters (including none); every
// other character is literal. Compiled once per pattern and cached, since evaluation runs on
// every session.

export type Matcher = (value: string) => boolean;

const matchAny: Matcher = () => true;
const cache = new Map<string, Matcher>();
const CACHE_LIMIT = 4096;

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

function buildMatcher(pattern: string): Matcher {
  if (pattern === '*') return matchAny;
  if (!pattern.includes('*')) return (value) => value === pattern;
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, 's');
  return (value) => re.test(value);
}

/** Returns a matcher for one glob pattern. */
export function compileGlob(pattern: string): Matcher {
  let matcher = cache.get(pattern);
  if (matcher === undefined) {
    matcher = buildMatcher(pattern);
    // Patterns come from roles and traits, a small set; the bound only guards against abuse.
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(pattern, matcher);
  }
  return matcher;
}

/** True when `pattern` is the bare wildcard. */
export function isWildcard(pattern: string): boolean {
  return pattern === '*';
}
