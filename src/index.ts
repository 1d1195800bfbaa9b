/**
 * mxprobe's library API: gather facts about a mail domain, judge them, render them.
 * @example
 * const facts = await probeDomain('example.com', 'example.com', new DnsResolver(), options);
 * const result = judgeDomain(facts, { required: ['tls-required'], warnDays: 30 }, new Date());
 */
export type * from './model/problem.js';
export type * from './model/dns.js';
export type * from './model/smtp.js';
export type * from './model/tls.js';
export type * from './model/certificate.js';
export type * from './model/address.js';
export type * from './model/domain.js';
export type * from './model/policy.js';
export type * from './model/dane.js';
export type * from './model/mta-sts.js';
export * from './model/report.js';
export * from './model/dns-rcode.js';
export * from './model/levels.js';
export * from './model/tls-protocols.js';
export * from './model/cipher-classes.js';
export { normalizeDomain } from './input/normalize-domain.js';
export { DnsResolver } from './dns/resolver.js';
export { ReplayResolver, type ReplayZone, type ReplayRecordSet } from './dns/replay-resolver.js';
export type { Resolver, LookupResult, MxRecord } from './dns/resolver-api.js';
export { resolveMailHosts } from './dns/resolve-mail-hosts.js';
export { probeAddress, type ProbeOptions, type AddressTarget } from './probe/probe-address.js';
export { probeDomain, probeServer, type DomainProbeOptions } from './probe/probe-domain.js';
export { makeTrustStore, readCaFile } from './cert/trust-store.js';
export { matchHostName } from './rules/name-match.js';
export { judgeDomain } from './judge/judge-domain.js';
export { SENDER_POLICIES, judgePolicies, parseRequirement, requirementMet, requirementText, satisfies, senderPolicy, type SenderPolicy, type PolicyContext } from './judge/sender-policies.js';
export { allProblems } from './judge/all-problems.js';
export { judgeAddress } from './judge/judge-address.js';
export { PROBLEMS, problem, type ProblemKind } from './judge/problem-catalogue.js';
export { renderJson } from './render/json.js';
export { renderText } from './render/text.js';
export { FORMATS, APPENDABLE_FORMATS, isAppendable, isFormat, loadRenderer, type Format } from './render/formats.js';
export { renderAll, type ReportRenderer, type StreamedRenderer, type TotalsFirstRenderer, type RenderOptions, type ReportTotals, type ReportLayout } from './render/report-renderer.js';
export { sanitize } from './render/sanitize.js';
export * from './model/headers.js';
export { analyseMessages, headersExitStatus } from './headers/analyse.js';
export { renderHeadersText } from './render/headers-text.js';
export { renderHeadersJson } from './render/headers-json.js';
