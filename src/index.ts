/**
 * mxprobe's library API: gather facts about a mail domain (probeDomain, probeServer,
 * probeAddress; DNS through any Resolver), judge them at a given moment (judgeDomain: pure;
 * its DANE, MTA-STS and TLS-RPT parts also alone: judgeDane, judgeMtaSts, judgeTlsRpt…),
 * render them (renderText, renderJson); and analyse a delivered message's Received headers
 * (analyseMessages). README "Library" documents it; every export has a TSDoc @example.
 * @example
 * const facts = await probeDomain('example.com', 'example.com');
 * const result = judgeDomain(facts, { required: ['verify'] }, new Date());
 * console.log(renderText([result]));
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
export { normalizeDomain, type NormalizedDomain } from './input/normalize-domain.js';
export { DnsResolver, type DnsResolverOptions } from './dns/resolver.js';
export type { DnsServer } from './dns/server-address.js';
export type { QueryType } from './dns/wire.js';
export { ReplayResolver, type ReplayZone, type ReplayRecordSet } from './dns/replay-resolver.js';
export type { Resolver, LookupResult, MxRecord } from './dns/resolver-api.js';
export { resolveMailHosts, type Address, type AddressFamilies, type MailHost, type MailHosts, type MailHostOptions } from './dns/resolve-mail-hosts.js';
export { probeAddress, type ProbeOptions, type AddressTarget, type DialogueOptions } from './probe/probe-address.js';
export type { ProbeClock } from './probe/probe-run.js';
export { probeDeep, deepTimeoutFor, noDeepFacts, type DeepProbeOptions } from './deep/deep-probe.js';
export type * from './model/deep.js';
export * from './model/tls-guidelines.js';
export * from './model/cipher-suites.js';
export * from './model/named-groups.js';
export { gradeAddress, gradedVerdict, namesInMessage, GRADE_CODES, MESSAGE_NAMES, type GradeInput } from './judge/deep-grade.js';
export { STAGE_CAPS, type StageCaps } from './probe/stage-deadlines.js';
export { PROBE_DEFAULTS } from './probe/probe-defaults.js';
export { probeDomain, probeServer, type DomainProbeOptions, type ServerTarget } from './probe/probe-domain.js';
export { makeTrustStore, readCaFile, TrustStoreError, type TrustStore } from './cert/trust-store.js';
export { matchHostName, type NameMatch } from './rules/name-match.js';
export { lookUpHostTlsa, type TlsaHost, type HostTlsa } from './dns/host-tlsa.js';
export { judgeDane, judgeTlsaSet, daneReferenceNames, type DaneAddressInput, type DaneJudgement } from './judge/dane.js';
export { judgeRollover } from './judge/dane-rollover.js';
export { parseStsRecord, type StsRecordReading } from './mta-sts/record.js';
export { parsePolicy, type PolicyReading, type PolicyKeyWarning } from './mta-sts/policy.js';
export { parseTlsRpt, type TlsRptReading } from './mta-sts/tls-rpt.js';
export { mxMatches } from './rules/mx-pattern.js';
export { fetchPolicy, POLICY_FETCH_LIMITS, type FetchPolicyOptions } from './mta-sts/fetch-policy.js';
export { gatherMailPolicies, type MailPolicyOptions, type MailPolicyFacts } from './probe/gather-mail-policies.js';
export { judgeMtaSts, judgeTlsRpt, type MtaStsHostInput, type MtaStsVerdict } from './judge/mta-sts.js';
export { judgeDomain } from './judge/judge-domain.js';
export { DEFAULT_JUDGE_POLICY } from './judge/judge-policy.js';
export { SENDER_POLICIES, judgePolicies, parseRequirement, requirementMet, requirementText, satisfies, senderPolicy, type SenderPolicy, type PolicyContext } from './judge/sender-policies.js';
export { allProblems } from './judge/all-problems.js';
export { judgeAddress, type JudgePolicy } from './judge/judge-address.js';
export { PROBLEMS, problem, type ProblemKind } from './judge/problem-catalogue.js';
export { renderJson, type JsonOptions } from './render/json.js';
export { renderText, type TextOptions } from './render/text.js';
export { FORMATS, APPENDABLE_FORMATS, isAppendable, isFormat, loadRenderer, type Format } from './render/formats.js';
export { renderAll, type ReportRenderer, type StreamedRenderer, type TotalsFirstRenderer, type SectionedRenderer, type RowParts, type RenderOptions, type ReportTotals, type ReportLayout } from './render/report-renderer.js';
export { sanitize } from './render/sanitize.js';
export type { BatchSummary, ProblemCount, RenewalEntry, PolicyCount, TlsVersionCount, TlsVersionSeen } from './judge/batch-summary.js';
export * from './model/headers.js';
export { analyseMessages, headersExitStatus } from './headers/analyse.js';
export { HEADER_LIMITS, type HeaderLimits } from './headers/read-message.js';
export { renderHeadersText, type HeadersTextOptions } from './render/headers-text.js';
export { renderHeadersJson } from './render/headers-json.js';
