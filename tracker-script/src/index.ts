/**
 * The ctrack tracker script: asks session-tracker for the visitor's tracking number and swaps the
 * site's business numbers for it in text and `tel:` links, in every tab of the visitor, including
 * content a single-page app renders later. Every entry point is wrapped: nothing throws into the page.
 */
import type { CtrackApi, CtrackNumbers } from "../ctrack.d.ts";
import { apply, edits, rewrite } from "./format";

interface Answer {
  number?: string | null;
  business_number?: string | null;
}

const w = window;
const d = document;
const STORE = "ctrack_vid";
const NO_SWAP = "[data-ctrack-no-swap]";

/** Runs `fn`, swallowing any error: the host page must never see one of ours. */
const safe =
  <A extends unknown[]>(fn: (...args: A) => void) =>
  (...args: A): void => {
    try {
      fn(...args);
    } catch (e) {
      // never rethrown; visible to whoever debugs the page
      console.debug("ctrack:", e);
    }
  };

const id = (): string => Math.random().toString(36).slice(2) + Date.now().toString(36);

const script = (d.currentScript || d.querySelector("script[data-site]")) as HTMLScriptElement | null;
const attr = (name: string): string | null => (script ? script.getAttribute("data-" + name) : null);

const siteKey = attr("site");
const api = (attr("api") || (script && script.src ? new URL(script.src).origin : "")).replace(/\/$/, "");
const configured = (attr("numbers") || "").split(",").filter(Boolean);
const hideMs = +(attr("hide") || 0);
const heartbeatMs = +(attr("heartbeat") || 30) * 1000;
let consented = attr("consent") !== "required";

let business: string[] = configured;
let current = "";
let shown: string[] = [];
let visitorId = "";
let visitId = "";
let timer = 0;
let hider: HTMLStyleElement | null = null;
const listeners: ((n: string) => void)[] = [];
const waiting: ((n: CtrackNumbers) => void)[] = [];
const channel = w.BroadcastChannel ? new BroadcastChannel("ctrack") : null;
const tab = id();
/** The visitor's other open tabs of this site (known through the channel). */
const others = new Set<string>();

function visitor(): string {
  try {
    const stored = localStorage.getItem(STORE);
    if (stored) return stored;
    const made = id();
    localStorage.setItem(STORE, made);
    return made;
  } catch {
    // storage blocked: a first-party cookie instead
    const cookie = /(?:^|; )ctrack_vid=([^;]+)/.exec(d.cookie);
    if (cookie) return cookie[1];
    const made = id();
    d.cookie = `${STORE}=${made}; path=/; max-age=63072000; samesite=lax`;
    return made;
  }
}

function unhide(): void {
  if (hider) hider.remove();
  hider = null;
}

const accepts = (node: Node): boolean => {
  const el = node.nodeType === 1 ? (node as Element) : node.parentElement;
  return !el || !el.closest(NO_SWAP);
};

/** Swaps every shown number under `root` (text, also split across elements, and `tel:` links). */
function swap(root: Node = d.body): void {
  if (!current || !root || !accepts(root)) return;
  const texts: Text[] = [];
  const walker = d.createTreeWalker(root, 5, {
    acceptNode: (n) =>
      n.nodeType === 3
        ? 1
        : (n as Element).matches(NO_SWAP + ",script,style,textarea,noscript")
          ? 2
          : 3,
  });
  for (let n: Node | null = root.nodeType === 3 ? root : walker.nextNode(); n; n = walker.nextNode()) {
    texts.push(n as Text);
    if (n === root) break;
  }
  const whole = texts.map((t) => t.data).join("");
  const list = edits(whole, shown, current);
  let start = 0;
  for (const text of texts) {
    const end = start + text.data.length;
    const mine = list.filter(([at]) => at >= start && at < end).map(([at, to]) => [at - start, to] as [number, string]);
    if (mine.length) text.data = apply(text.data, mine);
    start = end;
  }
  const links = root.nodeType === 1 ? [root as Element, ...(root as Element).querySelectorAll("a[href^='tel:']")] : [];
  for (const link of links) {
    const href = link.getAttribute("href") || "";
    if (href.startsWith("tel:") && accepts(link)) {
      const next = rewrite(href, shown, current);
      if (next !== href) link.setAttribute("href", next);
    }
  }
}

const numbers = (): CtrackNumbers => Object.fromEntries(business.map((b) => [b, current]));

/** Shows `number` from now on; `tell` passes it on to the visitor's other tabs. */
function show(number: string | null | undefined, tell: boolean): void {
  if (!number || number === current) return;
  shown = current ? [...business, current] : business;
  current = number;
  swap();
  unhide();
  for (const cb of listeners) safe(cb)(number);
  for (const cb of waiting.splice(0)) safe(cb)(numbers());
  if (tell) {
    if (channel) channel.postMessage({ n: number });
    else
      try {
        localStorage.setItem("ctrack_num", number + "|" + id());
      } catch {
        // no storage: the tabs converge at the next heartbeat
      }
  }
}

function post(path: string, body: object): Promise<Answer> {
  return fetch(api + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ site_key: siteKey, visitor_id: visitorId, ...body }),
    keepalive: true,
  }).then((r) => (r.ok ? r.json() : {}));
}

const answered = (a: Answer): void => {
  if (!configured.length && a.business_number) business = [a.business_number];
  show(a.number, true);
};

const failed = safe((e: unknown) => {
  unhide();
  console.debug("ctrack:", e);
});

function start(): void {
  if (visitorId || !consented) return;
  visitorId = visitor();
  visitId = id();
  post("/v1/visits", {
    visit_id: visitId,
    url: location.href,
    referrer: d.referrer || null,
    user_agent: navigator.userAgent,
  }).then(safe(answered), failed);
  timer = w.setInterval(
    safe(() => post("/v1/heartbeat", { visit_id: visitId }).then(safe(answered), failed)),
    heartbeatMs,
  );
}

const methods = {
  onNumber: (cb: (n: string) => void) => {
    listeners.push(cb);
    if (current) safe(cb)(current);
  },
  getNumbers: (cb: (n: CtrackNumbers) => void) => (current ? safe(cb)(numbers()) : waiting.push(cb)),
  swap,
  consent: (granted: boolean) => {
    consented = granted;
    if (granted) return start();
    clearInterval(timer);
    visitorId = "";
    try {
      localStorage.removeItem(STORE);
    } catch {
      // nothing stored
    }
  },
};

const init = safe(() => {
  const existing = w.ctrack as { swap?: unknown; q?: IArguments[] } | undefined;
  if (existing && existing.swap) return; // loaded twice (e.g. GTM and a hard-coded tag): the first one runs
  if (!siteKey || !("fetch" in w)) return console.debug("ctrack: no data-site, or no fetch in this browser");
  const ctrack = ((name: keyof typeof methods, ...args: unknown[]) =>
    safe(methods[name] as (...a: unknown[]) => void)(...args)) as CtrackApi;
  for (const name of Object.keys(methods) as (keyof typeof methods)[])
    (ctrack as unknown as Record<string, unknown>)[name] = safe(methods[name] as (...a: unknown[]) => void);
  w.ctrack = ctrack;
  if (hideMs > 0) {
    hider = d.createElement("style");
    hider.textContent = "a[href^='tel:'],[data-ctrack-number]{visibility:hidden!important}";
    d.head.appendChild(hider);
    setTimeout(unhide, hideMs);
  }
  if (channel) {
    // {n: number} a new number; {h: tab} hello, {a: tab} here too, {b: tab} bye
    channel.onmessage = safe(({ data }: MessageEvent) => {
      show(data.n, false);
      if (data.h) channel.postMessage({ a: tab });
      if (data.h || data.a) others.add(data.h || data.a);
      others.delete(data.b);
    });
    channel.postMessage({ h: tab });
  }
  w.addEventListener(
    "pagehide",
    safe(() => {
      if (channel) channel.postMessage({ b: tab });
      // the last tab of the site closes: the lease ends (a returning visitor gets the number back)
      if (visitorId && !others.size)
        navigator.sendBeacon(api + "/v1/leave", JSON.stringify({ site_key: siteKey, visitor_id: visitorId, visit_id: visitId }));
    }),
  );
  w.addEventListener(
    "pageshow",
    safe((e: PageTransitionEvent) => {
      if (!e.persisted) return;
      // back from the back/forward cache after a leave: a new visit
      clearInterval(timer);
      visitorId = "";
      if (channel) channel.postMessage({ h: tab });
      start();
    }),
  );
  w.addEventListener(
    "storage",
    safe((e: StorageEvent) => e.key === "ctrack_num" && e.newValue && show(e.newValue.split("|")[0], false)),
  );
  const rescan = safe(() => swap());
  new MutationObserver(
    safe((records: MutationRecord[]) => {
      for (const r of records) swap(r.type === "characterData" ? r.target.parentNode! : r.target);
    }),
  ).observe(d.documentElement, { childList: true, subtree: true, characterData: true });
  for (const name of ["pushState", "replaceState"] as const) {
    const original = history[name];
    history[name] = function (this: History, ...args: Parameters<History["pushState"]>) {
      original.apply(this, args);
      setTimeout(rescan);
    };
  }
  w.addEventListener("popstate", () => setTimeout(rescan));
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", rescan);
  for (const call of existing && existing.q ? existing.q : []) ctrack(...(Array.from(call) as [never, never]));
  start();
});

init();
