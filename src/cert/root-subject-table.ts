/**
 * The subject name keys of Node's bundled root certificates, by certificate fingerprint
 * (trust-store.ts anchorFingerprint): filled in by the build (scripts/build.mjs) from the Node
 * that builds mxprobe, empty in the sources. The trust store reads the subject of every anchor
 * that is not here.
 */

/**
 * [fingerprint, subject name key] of each bundled root, as rootSubjectEntries computes them.
 *
 * @example new Map(ROOT_SUBJECT_TABLE).get(anchorFingerprint(id)) // the subject's name key, or undefined
 */
export const ROOT_SUBJECT_TABLE: ReadonlyArray<readonly [string, string]> = [];
