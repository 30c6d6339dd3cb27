/**
 * A small XML 1.0 well-formedness check for the tests (no XML parser is a dependency): one root,
 * balanced and properly nested tags, quoted attributes without `<` or raw `&`, only the predefined
 * and numeric entity references, no character XML forbids. Returns the element names seen, in order.
 */
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const NAME = '[A-Za-z_:][-A-Za-z0-9_:.]*';
const ATTR = new RegExp(`^\\s+(${NAME})\\s*=\\s*("[^"<]*"|'[^'<]*')`);
const ENTITY = /&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/y;

function checkText(text: string, where: string): void {
  if (FORBIDDEN.test(text)) throw new Error(`forbidden character in ${where}`);
  if (text.includes('<')) throw new Error(`raw < in ${where}`);
  for (let i = text.indexOf('&'); i !== -1; i = text.indexOf('&', i + 1)) {
    ENTITY.lastIndex = i;
    if (!ENTITY.test(text)) throw new Error(`bad entity reference in ${where}: ${JSON.stringify(text.slice(i, i + 12))}`);
  }
}

export function checkWellFormedXml(xml: string): string[] {
  let rest = xml;
  const prolog = /^<\?xml[^?]*\?>\s*/.exec(rest);
  if (prolog) rest = rest.slice(prolog[0].length);
  const stack: string[] = [];
  const seen: string[] = [];
  let rootClosed = false;
  while (rest.length) {
    const lt = rest.indexOf('<');
    const text = lt === -1 ? rest : rest.slice(0, lt);
    if (stack.length === 0 && text.trim()) throw new Error(`text outside the root: ${JSON.stringify(text.slice(0, 40))}`);
    checkText(text, 'text');
    if (lt === -1) break;
    rest = rest.slice(lt);
    if (rest.startsWith('<!--')) {
      const end = rest.indexOf('-->');
      if (end === -1) throw new Error('unterminated comment');
      rest = rest.slice(end + 3);
      continue;
    }
    const close = new RegExp(`^</(${NAME})\\s*>`).exec(rest);
    if (close) {
      const open = stack.pop();
      if (open !== close[1]) throw new Error(`</${close[1]}> closes <${open}>`);
      if (stack.length === 0) rootClosed = true;
      rest = rest.slice(close[0].length);
      continue;
    }
    const start = new RegExp(`^<(${NAME})`).exec(rest);
    if (!start) throw new Error(`bad markup at ${JSON.stringify(rest.slice(0, 40))}`);
    if (rootClosed) throw new Error('second root element');
    rest = rest.slice(start[0].length);
    const names = new Set<string>();
    for (let m = ATTR.exec(rest); m; m = ATTR.exec(rest)) {
      if (names.has(m[1]!)) throw new Error(`duplicate attribute ${m[1]} on <${start[1]}>`);
      names.add(m[1]!);
      checkText(m[2]!.slice(1, -1), `attribute ${m[1]} of <${start[1]}>`);
      rest = rest.slice(m[0].length);
    }
    const end = /^\s*(\/?)>/.exec(rest);
    if (!end) throw new Error(`bad tag <${start[1]}: ${JSON.stringify(rest.slice(0, 40))}`);
    rest = rest.slice(end[0].length);
    seen.push(start[1]!);
    if (end[1] === '/') {
      if (stack.length === 0) rootClosed = true;
    } else stack.push(start[1]!);
  }
  if (stack.length) throw new Error(`unclosed <${stack.join('>, <')}>`);
  if (!rootClosed) throw new Error('no root element');
  return seen;
}
