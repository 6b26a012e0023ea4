/**
 * Whether a string is one well-formed SVG document: an <svg> root and
 * balanced tags (a small check, enough to catch a truncated or mangled
 * rendering without an XML parser dependency).
 */
export function svgProblems(svg: string): string[] {
  const problems: string[] = [];
  if (!/^<svg[\s>]/.test(svg)) problems.push('does not start with <svg');
  if (!svg.trimEnd().endsWith('</svg>')) problems.push('does not end with </svg>');
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z][\w:.-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>/g)) {
    const [, close, name, , selfClose] = m;
    if (selfClose) continue;
    if (close) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? 'nothing'}>`);
    } else stack.push(name!);
  }
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(', ')}`);
  return problems;
}
