import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * The architecture of src as its import statements draw it (docs/design.md, "Layers"):
 * - the backend layers (src/postgres, src/mongo, src/dualwrite) and src/interfaces import nothing from
 *   src/modules: the generic machinery never knows a module;
 * - src/interfaces imports nothing else in src: contracts know no database and no codec;
 * - no cycle between the top-level folders of src.
 * Every import counts: static, `export ... from`, dynamic `import()`, and type-only ones.
 */

/** src/ of the checkout: this file runs as dist/test/architecture/import-graph.test.js. */
const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src');

/** One import: the importing file and the imported one, both relative to src ('/'-separated). */
interface ImportEdge {
  readonly from: string;
  readonly to: string;
  readonly specifier: string;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return tsFiles(path);
      return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
    });
}

const posix = (p: string) => p.split(sep).join('/');

/** Every relative import of every src/**\/*.ts file that lands inside src. */
function importEdges(root: string): { files: string[]; edges: ImportEdge[] } {
  const files = tsFiles(root);
  const edges: ImportEdge[] = [];
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const ref of info.importedFiles) {
      const specifier = ref.fileName;
      if (!specifier.startsWith('.')) continue; // a package
      const target = posix(relative(root, resolve(dirname(file), specifier))).replace(/\.js$/, '.ts');
      if (target.startsWith('../')) continue;
      edges.push({ from: posix(relative(root, file)), to: target, specifier });
    }
  }
  return { files: files.map((f) => posix(relative(root, f))), edges };
}

/** The top-level folder of a src path ('(root)' for files directly in src). */
function folderOf(path: string): string {
  const i = path.indexOf('/');
  return i < 0 ? '(root)' : path.slice(0, i);
}

/** Imports that break the layer rules, as readable lines. */
function layerViolations(edges: readonly ImportEdge[]): string[] {
  const out: string[] = [];
  for (const e of edges) {
    const from = folderOf(e.from);
    const to = folderOf(e.to);
    if (['postgres', 'mongo', 'dualwrite', 'interfaces'].includes(from) && to === 'modules') out.push(`${e.from} imports ${e.specifier}: src/${from} must not import src/modules`);
    if (from === 'interfaces' && to !== 'interfaces') out.push(`${e.from} imports ${e.specifier}: src/interfaces imports nothing else in src`);
  }
  return out;
}

/** Every cycle between top-level folders (strongly connected components of two or more), with one import of each arrow. */
function folderCycles(edges: readonly ImportEdge[]): string[] {
  const graph = new Map<string, Map<string, ImportEdge>>();
  for (const e of edges) {
    const a = folderOf(e.from);
    const b = folderOf(e.to);
    if (a === b) continue;
    if (!graph.has(a)) graph.set(a, new Map());
    if (!graph.has(b)) graph.set(b, new Map());
    if (!graph.get(a)!.has(b)) graph.get(a)!.set(b, e);
  }
  // Tarjan's strongly connected components.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of [...graph.get(v)!.keys()].sort()) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1) components.push(c.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  return components.map((c) => {
    const arrows = c.flatMap((a) => c.filter((b) => graph.get(a)!.has(b)).map((b) => `${a} -> ${b} (${graph.get(a)!.get(b)!.from} imports ${graph.get(a)!.get(b)!.specifier})`));
    return `cycle between ${c.join(', ')}: ${arrows.join('; ')}`;
  });
}

describe('Architecture: the import graph of src', () => {
  const { files, edges } = importEdges(SRC);

  it('reads every source file and its imports (the check has something to check)', () => {
    expect(files.length).to.be.greaterThan(200);
    expect(files).to.include('interfaces/entity-spec.ts').and.include('container/module-runtime.ts');
    // Known arrows of the layout: a reader that lost them would pass everything.
    expect(edges.some((e) => e.from === 'container/module-runtime.ts' && e.to === 'postgres/data-source.ts')).to.equal(true);
    expect(edges.some((e) => e.from.startsWith('modules/') && e.to === 'container/custom-store.ts')).to.equal(true);
  });

  it('src/postgres, src/mongo, src/dualwrite and src/interfaces import nothing from src/modules; src/interfaces nothing else in src', () => {
    expect(layerViolations(edges)).to.deep.equal([]);
  });

  it('has no import cycle between the top-level folders of src', () => {
    expect(folderCycles(edges)).to.deep.equal([]);
  });

  it('names the offending import when a rule is broken (the rules are not vacuous)', () => {
    const bad: ImportEdge[] = [
      { from: 'postgres/x.ts', to: 'modules/scheduler/entities.ts', specifier: '../modules/scheduler/entities.js' },
      { from: 'interfaces/y.ts', to: 'codec/canonical.ts', specifier: '../codec/canonical.js' },
      { from: 'container/a.ts', to: 'modules/registry.ts', specifier: '../modules/registry.js' },
      { from: 'modules/b.ts', to: 'container/c.ts', specifier: '../container/c.js' },
    ];
    expect(layerViolations(bad)).to.deep.equal([
      'postgres/x.ts imports ../modules/scheduler/entities.js: src/postgres must not import src/modules',
      'interfaces/y.ts imports ../codec/canonical.js: src/interfaces imports nothing else in src',
    ]);
    expect(folderCycles(bad)).to.deep.equal([
      'cycle between container, modules: container -> modules (container/a.ts imports ../modules/registry.js); modules -> container (modules/b.ts imports ../container/c.js)',
    ]);
  });
});
