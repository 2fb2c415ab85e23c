// @gatehouse/auth brings @peculiar/x509 with its ASN.1 stack and node-forge, which take longer to
// load than the rest of gatectl together. Commands import it when they run, so `--help`, usage
// errors and commands that do not need it (db probe) start without it.
export type Auth = typeof import('@gatehouse/auth');

export function loadAuth(): Promise<Auth> {
  return import('@gatehouse/auth');
}
