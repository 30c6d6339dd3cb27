/**
 * Dotted-path access to documents with MongoDB's rules: reads used for sort and index keys fan out over
 * arrays (multikey semantics); writes used by update operators address one concrete location and create
 * missing intermediate documents, padding arrays with nulls, like the server's update path handling.
 */
import type { Document } from 'bson';
import { EMPTY_ARRAY_KEY } from './bson-order.js';
import { formatValue, pathNotViable } from './errors.js';

const INDEX_RE = /^(0|[1-9]\d*)$/;

export function hasOwn(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

/** A document (not an array, not a BSON value object, not a Date/RegExp/binary). */
export function isPlainDocument(v: unknown): v is Document {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  if (v instanceof Date || v instanceof RegExp || ArrayBuffer.isView(v)) return false;
  return (v as { _bsontype?: string })._bsontype === undefined;
}

/** Splits a dotted path, rejecting empty components the way the server does. */
export function splitPath(path: string): string[] {
  const parts = path.split('.');
  if (parts.some((p) => p.length === 0)) {
    throw pathNotViable(`The update path '${path}' contains an empty field name, which is not allowed.`);
  }
  return parts;
}

/**
 * Every value a path reaches, fanning out over arrays; a leaf array contributes its elements
 * (an empty one contributes {@link EMPTY_ARRAY_KEY}). Returns [] when the path is missing.
 */
export function pathValues(doc: unknown, parts: readonly string[]): unknown[] {
  const out: unknown[] = [];
  const walk = (node: unknown, i: number): void => {
    if (i === parts.length) {
      if (Array.isArray(node)) {
        if (node.length === 0) out.push(EMPTY_ARRAY_KEY);
        else out.push(...node);
      } else {
        out.push(node);
      }
      return;
    }
    const part = parts[i]!;
    if (Array.isArray(node)) {
      if (INDEX_RE.test(part) && Number(part) < node.length) walk(node[Number(part)], i + 1);
      for (const el of node) {
        if (isPlainDocument(el)) {
          if (hasOwn(el, part)) walk(el[part], i + 1);
          else out.push(null);
        }
      }
      return;
    }
    if (isPlainDocument(node) && hasOwn(node, part)) walk(node[part], i + 1);
  };
  walk(doc, 0);
  return out;
}

/** The value at one concrete location (array components must be indexes), if present. */
export function getExact(doc: Document, parts: readonly string[]): { found: boolean; value: unknown } {
  let node: unknown = doc;
  for (const part of parts) {
    if (Array.isArray(node)) {
      if (!INDEX_RE.test(part) || Number(part) >= node.length) return { found: false, value: undefined };
      node = node[Number(part)];
    } else if (isPlainDocument(node) && hasOwn(node, part)) {
      node = node[part];
    } else {
      return { found: false, value: undefined };
    }
  }
  return { found: true, value: node };
}

function notViable(container: unknown, part: string, parentName: string): Error {
  return pathNotViable(`Cannot create field '${part}' in element {${parentName}: ${formatValue(container)}}`);
}

/** The container that holds the last component, creating intermediate documents as needed. */
function parentFor(doc: Document, parts: readonly string[], create: boolean): Document | unknown[] | undefined {
  let node: Document | unknown[] = doc;
  let name = '';
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i]!;
    let next: unknown;
    if (Array.isArray(node)) {
      if (!INDEX_RE.test(part)) throw notViable(node, part, name);
      const idx = Number(part);
      next = node[idx];
      if (idx >= node.length) {
        if (!create) return undefined;
        while (node.length < idx) node.push(null);
        next = {};
        node[idx] = next;
      }
    } else {
      next = hasOwn(node, part) ? node[part] : undefined;
      if (next === undefined) {
        if (!create) return undefined;
        next = {};
        node[part] = next;
      }
    }
    if (!Array.isArray(next) && !isPlainDocument(next)) {
      if (!create) return undefined;
      throw notViable(next, parts[i + 1]!, part);
    }
    node = next;
    name = part;
  }
  return node;
}

/** Sets the value at a concrete location (server `$set` semantics). */
export function setExact(doc: Document, parts: readonly string[], value: unknown): void {
  const parent = parentFor(doc, parts, true)!;
  const last = parts[parts.length - 1]!;
  if (Array.isArray(parent)) {
    if (!INDEX_RE.test(last)) throw notViable(parent, last, parts[parts.length - 2] ?? '');
    const idx = Number(last);
    while (parent.length < idx) parent.push(null);
    parent[idx] = value;
  } else {
    parent[last] = value;
  }
}

/** Removes the value at a concrete location; inside an array the element becomes null (server `$unset`). */
export function unsetExact(doc: Document, parts: readonly string[]): boolean {
  const parent = parentFor(doc, parts, false);
  if (!parent) return false;
  const last = parts[parts.length - 1]!;
  if (Array.isArray(parent)) {
    if (!INDEX_RE.test(last) || Number(last) >= parent.length) return false;
    parent[Number(last)] = null;
    return true;
  }
  if (!hasOwn(parent, last)) return false;
  delete parent[last];
  return true;
}

export function isIndexComponent(part: string): boolean {
  return INDEX_RE.test(part);
}
