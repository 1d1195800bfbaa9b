/**
 * Two look-ups the receiver makes about a client, each bounded: the certificates of its chain
 * described by the repo's certificate code (cert/), and the reverse name of its IP address.
 */
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { CertificateCache } from '../cert/parsed-certificate.js';
import type { CertificateInfo } from '../model/certificate.js';
import { specialPurpose } from '../input/special-addresses.js';

/**
 * A describer of DER chains (leaf first) into CertificateInfo, with a cache; `isAnchor` says
 * which certificates are trust anchors.
 *
 * @example const describe = chainDescriber(() => false); describe([der])[0]?.subject
 */
export function chainDescriber(isAnchor: (id: string) => boolean = () => false): (ders: Buffer[]) => CertificateInfo[] {
  const cache = new CertificateCache(isAnchor);
  return (ders) => ders.flatMap((der) => {
    const parsed = cache.parse(der);
    return parsed === null ? [] : [parsed.info];
  });
}

/**
 * A reverse look-up (PTR) of an IP address through the system's DNS servers, one attempt of
 * `timeoutMs`: the first name, or null (none, an error, a timeout). A loopback sender (a test,
 * a local MTA) is not looked up: its name says nothing, and the query would leave the machine.
 *
 * @example const reverse = reverseNameLookup(2000); await reverse('192.0.2.7') // 'mta.example.net' | null
 */
export function reverseNameLookup(timeoutMs = 2000): (ip: string) => Promise<string | null> {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  return async (ip) => {
    if (isIP(ip) === 0 || specialPurpose(ip)?.name.endsWith('loopback') === true) return null;
    try {
      const names = await resolver.reverse(ip);
      return names[0] ?? null;
    } catch {
      return null;
    }
  };
}
