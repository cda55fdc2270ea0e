// Issue 13 point 8: the Electron window's guards, as pure functions, and the strict meta CSP.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAllowedExternalUrl, isRendererUrl } from '../../../electron/main/navigation-guards';
import { REPO_ROOT } from '../../helpers/paths';

const INDEX = 'file:///opt/maskwright/out/renderer/index.html';

describe('Electron navigation guards', () => {
  it('the window may show only the renderer (index with hash/query, or the dev server origin)', () => {
    expect(isRendererUrl(INDEX, INDEX)).toBe(true);
    expect(isRendererUrl(`${INDEX}#/project/1`, INDEX)).toBe(true);
    expect(isRendererUrl(`${INDEX}?x=1`, INDEX)).toBe(true);
    for (const bad of ['file:///etc/passwd', `${INDEX}.evil.html`, 'file:///opt/maskwright/out/renderer/other.html', 'https://example.com/', 'javascript:alert(1)', 'data:text/html,x', 'mw-asset://image/x/1']) {
      expect(isRendererUrl(bad, INDEX), bad).toBe(false);
    }
    expect(isRendererUrl('http://localhost:5173/src/main.ts', INDEX, 'http://localhost:5173/')).toBe(true);
    // a prefix match is not enough: localhost:51730 and localhost:5173.evil.com are other origins
    expect(isRendererUrl('http://localhost:51730/', INDEX, 'http://localhost:5173')).toBe(false);
    expect(isRendererUrl('http://localhost:5173.evil.com/', INDEX, 'http://localhost:5173')).toBe(false);
  });

  it('shell.openExternal only for https links to allow-listed hosts', () => {
    expect(isAllowedExternalUrl('https://github.com/maskwright')).toBe(true);
    for (const bad of ['http://github.com/', 'https://evil.com/', 'https://github.com.evil.com/', 'https://user:pw@github.com/', 'https://github.com:8443/', 'file:///etc/passwd', 'smb://host/share', 'javascript:alert(1)', 'not a url']) {
      expect(isAllowedExternalUrl(bad), bad).toBe(false);
    }
  });

  it('the renderer\'s meta CSP is the strict one: connect-src only to itself', () => {
    const html = fs.readFileSync(path.join(REPO_ROOT, 'renderer/index.html'), 'utf8');
    const csp = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)![1]!;
    const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map((d) => [d[0], d.slice(1)]));
    expect(directives['connect-src']).toEqual(["'self'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['object-src']).toEqual(["'none'"]);
  });
});
