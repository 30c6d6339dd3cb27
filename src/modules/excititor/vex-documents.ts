import type { VexFormat, VexStatus } from '../../interfaces/excititor.js';

/**
 * Reads the claims of a VEX document in any of the three formats Excititor ingests, without
 * changing the document: what each statement says about which product, as published.
 */

/** One claim: the document says `status` about `productKey` for `vulnerabilityId`. */
export interface VexClaim {
  readonly vulnerabilityId: string;
  readonly productKey: string;
  readonly status: VexStatus;
  readonly justification: string | null;
  readonly detail: string | null;
  /** The statement's or document's timestamp, as published (a string: sub-millisecond digits, offsets). */
  readonly issued: string | null;
}

/** What identifies a document upstream, and its claims. */
export interface VexDocumentSummary {
  readonly format: VexFormat;
  /** OpenVEX `@id`, CSAF `document.tracking.id`, CycloneDX `serialNumber` (null when the document has none). */
  readonly streamId: string | null;
  readonly version: string | null;
  readonly claims: readonly VexClaim[];
}

type Json = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const versionOf = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);

/** Which format a parsed document is in, or null. */
export function detectVexFormat(doc: unknown): VexFormat | null {
  const d = obj(doc);
  if (typeof d['@context'] === 'string' && (d['@context'] as string).startsWith('https://openvex.dev/')) return 'openvex';
  if (d.document && typeof obj(d.document).csaf_version === 'string') return 'csaf';
  if (d.bomFormat === 'CycloneDX') return 'cyclonedx';
  return null;
}

/** The claims of a document; identical claims of one document are listed once. */
export function summarizeVexDocument(format: VexFormat, doc: unknown): VexDocumentSummary {
  const claims = format === 'openvex' ? openVexClaims(obj(doc)) : format === 'csaf' ? csafClaims(obj(doc)) : cycloneDxClaims(obj(doc));
  const seen = new Set<string>();
  const unique = claims.filter((c) => {
    const key = JSON.stringify([c.vulnerabilityId, c.productKey, c.status]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const d = obj(doc);
  if (format === 'openvex') return { format, streamId: str(d['@id']), version: versionOf(d.version), claims: unique };
  if (format === 'csaf') {
    const tracking = obj(obj(d.document).tracking);
    return { format, streamId: str(tracking.id), version: versionOf(tracking.version), claims: unique };
  }
  return { format, streamId: str(d.serialNumber), version: versionOf(d.version), claims: unique };
}

const OPENVEX_STATUS: Record<string, VexStatus> = {
  not_affected: 'not_affected',
  affected: 'affected',
  fixed: 'fixed',
  under_investigation: 'under_investigation',
};

function openVexClaims(d: Json): VexClaim[] {
  const out: VexClaim[] = [];
  for (const raw of arr(d.statements)) {
    const s = obj(raw);
    const status = OPENVEX_STATUS[str(s.status) ?? ''];
    const v = s.vulnerability;
    const vuln = typeof v === 'string' ? v : str(obj(v).name) ?? str(obj(v)['@id']);
    if (!status || !vuln) continue;
    for (const p of arr(s.products)) {
      const product = typeof p === 'string' ? p : str(obj(p)['@id']);
      if (!product) continue;
      out.push({
        vulnerabilityId: vuln,
        productKey: product,
        status,
        justification: str(s.justification),
        detail: str(s.impact_statement) ?? str(s.action_statement) ?? str(s.status_notes),
        issued: str(s.timestamp) ?? str(d.timestamp),
      });
    }
  }
  return out;
}

const CSAF_STATUS: Record<string, VexStatus> = {
  known_affected: 'affected',
  first_affected: 'affected',
  last_affected: 'affected',
  fixed: 'fixed',
  first_fixed: 'fixed',
  known_not_affected: 'not_affected',
  under_investigation: 'under_investigation',
};

function csafClaims(d: Json): VexClaim[] {
  const out: VexClaim[] = [];
  const tracking = obj(obj(d.document).tracking);
  const issued = str(tracking.current_release_date) ?? str(tracking.initial_release_date);
  for (const raw of arr(d.vulnerabilities)) {
    const v = obj(raw);
    const vuln = str(v.cve) ?? str(obj(arr(v.ids)[0]).text);
    if (!vuln) continue;
    const label = (product: string) => {
      for (const f of arr(v.flags)) if (arr(obj(f).product_ids).includes(product)) return str(obj(f).label);
      return null;
    };
    const impact = (product: string) => {
      for (const t of arr(v.threats)) if (obj(t).category === 'impact' && arr(obj(t).product_ids).includes(product)) return str(obj(t).details);
      return null;
    };
    const statuses = obj(v.product_status);
    for (const key of Object.keys(statuses).sort()) {
      const status = CSAF_STATUS[key];
      if (!status) continue; // `recommended` and the like are not VEX statuses; the document keeps them
      for (const p of arr(statuses[key])) {
        if (typeof p !== 'string') continue;
        out.push({ vulnerabilityId: vuln, productKey: p, status, justification: label(p), detail: impact(p), issued });
      }
    }
  }
  return out;
}

const CYCLONEDX_STATE: Record<string, VexStatus> = {
  resolved: 'fixed',
  resolved_with_pedigree: 'fixed',
  exploitable: 'affected',
  in_triage: 'under_investigation',
  false_positive: 'not_affected',
  not_affected: 'not_affected',
};

function cycloneDxClaims(d: Json): VexClaim[] {
  const out: VexClaim[] = [];
  const issued = str(obj(d.metadata).timestamp);
  for (const raw of arr(d.vulnerabilities)) {
    const v = obj(raw);
    const analysis = obj(v.analysis);
    const status = CYCLONEDX_STATE[str(analysis.state) ?? ''];
    const vuln = str(v.id);
    if (!status || !vuln) continue;
    for (const a of arr(v.affects)) {
      const ref = str(obj(a).ref);
      if (!ref) continue;
      out.push({
        vulnerabilityId: vuln,
        productKey: ref,
        status,
        justification: str(analysis.justification),
        detail: str(analysis.detail),
        issued: str(v.published) ?? str(v.updated) ?? issued,
      });
    }
  }
  return out;
}
