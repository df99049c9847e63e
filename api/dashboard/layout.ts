// The frame of every dashboard page: title, navigation, a flash message and the page's body, with
// the one small stylesheet inline. No script and nothing from another origin, so the page works
// offline and the Content-Security-Policy (session.ts) can forbid scripts altogether.

import { Html, html } from './html.js';

export const PAGES = [
  { path: '/sources', title: 'Sources' },
  { path: '/repositories', title: 'Repositories' },
  { path: '/schedules', title: 'Schedules' },
  { path: '/operations', title: 'Operations' },
  { path: '/runbooks', title: 'Runbooks' },
  { path: '/slas', title: 'SLAs' },
] as const;

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,sans-serif;color:#1d2330;background:#f4f6f9}
header{display:flex;align-items:center;gap:1.5em;padding:.6em 1.2em;background:#1d2b45;color:#fff}
header b{font-size:16px}header nav a{color:#c9d6ee;text-decoration:none;margin-right:1em}
header nav a.on{color:#fff;border-bottom:2px solid #6fa8ff}header form{margin-left:auto}
main{padding:1em 1.2em;max-width:1200px}h1{font-size:20px;margin:.2em 0 .6em}h2{font-size:16px;margin:1.2em 0 .4em}
table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 2px #0001;margin-bottom:1em}
th,td{text-align:left;padding:.4em .6em;border-bottom:1px solid #e4e8ef;vertical-align:top}th{background:#eef1f6;font-weight:600}
.ok{color:#137333;font-weight:600}.bad{color:#b3261e;font-weight:600}.warn{color:#a15c00;font-weight:600}.muted{color:#6b7385}
.flash{padding:.6em .8em;margin-bottom:1em;background:#e7f1ff;border-left:4px solid #3b7ddd}.flash.error{background:#fdecea;border-color:#b3261e}
.bar{display:inline-block;width:140px;height:10px;background:#e4e8ef;border-radius:5px;overflow:hidden;vertical-align:middle}
.bar span{display:block;height:100%;background:#3b7ddd}.bar.unknown span{width:30%;background:#9bb7e0}
svg.chart{background:#fafbfd;border:1px solid #e4e8ef}svg.chart polyline{fill:none;stroke-width:1.5}
svg.chart polyline.good{stroke:#137333}svg.chart polyline.bad{stroke:#b3261e}svg.chart .target{stroke:#b3261e;stroke-dasharray:4 3;stroke-width:1}
button{font:inherit;padding:.25em .8em;border-radius:4px;border:1px solid #8a94a6;background:#fff;cursor:pointer}
button.approve{border-color:#137333;color:#137333}button.reject{border-color:#b3261e;color:#b3261e}
form.decision{margin:.2em 0}input{font:inherit;padding:.3em}code{font-size:12px}
.login{max-width:360px;margin:4em auto;background:#fff;padding:1.5em;box-shadow:0 1px 3px #0002}.login input{width:100%;margin:.5em 0 1em}
`;
const STYLE_HTML = new Html(STYLE);

export interface Flash {
  kind: 'info' | 'error';
  text: string;
}

export function page(title: string, current: string | undefined, body: Html, options: { flash?: Flash; refreshSeconds?: number; identity?: string } = {}): string {
  const nav = PAGES.map((p) => html`<a href="${p.path}" class="${p.path === current ? 'on' : ''}">${p.title}</a>`);
  const signedIn = options.identity !== undefined
    ? html`<form method="post" action="/logout"><span class="muted">${options.identity}</span> <button type="submit">Sign out</button></form>`
    : '';
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">${
    options.refreshSeconds ? html`<meta http-equiv="refresh" content="${options.refreshSeconds}">` : ''
  }<link rel="icon" href="data:,"><title>${title} · Meridian</title><style>${STYLE_HTML}</style></head><body><header><b>Meridian</b>${
    current !== undefined ? html`<nav>${nav}</nav>` : ''
  }${signedIn}</header><main>${options.flash ? html`<div class="flash ${options.flash.kind}" role="status">${options.flash.text}</div>` : ''}<h1>${title}</h1>${body}</main></body></html>`.text;
}
