/** Who a verified user certificate says its holder is, and where they asked to go. */
export interface Identity {
  readonly user: string;
  readonly roles: readonly string[];
  readonly route: IdentityRoute;
  readonly traits: IdentityTraits;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Serial number, lower-case hex. */
  readonly serial: string;
  /** SHA-256 of the certificate's DER, lower-case hex. */
  readonly fingerprint: string;
}

export interface IdentityRoute {
  readonly dbService: string;
  readonly dbUser?: string;
  readonly dbName?: string;
  /** A role of backend (`primary`, `replica`) the session must land on. */
  readonly dbRole?: string;
}

export interface IdentityTraits {
  readonly dbUsers: readonly string[];
  readonly dbNames: readonly string[];
}

/** A CA to verify against: its certificate (DER or PEM) and, during a rotation, when trust ends. */
export interface TrustedCa {
  readonly certificate: Uint8Array | string;
  readonly trustedUntil?: Date | undefined;
}

/** The part of a lock record verification needs (the store's lock records fit this shape). */
export interface IdentityLock {
  readonly message?: string | undefined;
  /** When the lock lifts; absent means until `gatectl unlock`. */
  readonly expires?: Date | string | undefined;
}

export type LockLookup = (user: string) => IdentityLock | undefined | Promise<IdentityLock | undefined>;

/** Clock skew tolerated before notBefore. */
export const CLOCK_SKEW_MS = 60_000;
