/**
 * Escaping for the HTML and XML reports. Legacy data is hostile by nature (markup, quotes, control
 * characters, lone surrogates): everything that comes from data goes through these.
 */

// Characters XML 1.0 forbids (and HTML renders badly): C0 controls except tab / LF / CR, U+FFFE,
// U+FFFF and unpaired surrogates. They are shown as a visible \uXXXX, never dropped.
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function visible(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Text safe inside an element or a quoted attribute of HTML and XML.
 *
 * @example
 * escapeMarkup('<script>"x"</script>\u0000'); // '&lt;script&gt;&quot;x&quot;&lt;/script&gt;\\u0000'
 */
export function escapeMarkup(text: string): string {
  return text.replace(FORBIDDEN, visible).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** The same rules serve XML element text and attribute values (JUnit) and HTML. */
export const escapeXml = escapeMarkup;
export const escapeHtml = escapeMarkup;
