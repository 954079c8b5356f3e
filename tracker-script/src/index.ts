/**
 * The ctrack tracker script: asks session-tracker for the visitor's tracking number and swaps the
 * site's business numbers for it in text and `tel:` links, in every tab of the visitor, including
 * content a single-page app renders later. A WebSocket per tab brings every change of the number
 * (HTTP polling when sockets fail). Every entry point is wrapped: nothing throws into the page.
 * The wire protocol is in services/session-tracker/README.md.
 */
import type { CtrackApi, CtrackNumbers } from "../ctrack.d.ts";
import { apply, type Edit, edits, mask, rewrite } from "./format";

/** session-tracker's NumberOut: the answer to a visit, heartbeat or page view, and the socket's message. */
interface Answer {
  type?: string;
  number?: string | null;
  reason?: string | null;
  business_number?: string | null;
  replace?: string[] | null;
  click_to_reveal?: boolean;
  anti_flicker_ms?: number;
  heartbeat_seconds?: number;
  grant_at?: string | null;
  ws_url?: string | null;
}

/** The site's settings learnt from the server, kept for the next page so it can act before answering. */
interface Remembered {
  /** numbers to replace */
  r?: string[];
  /** anti-flicker ms */
  a?: number;
  /** click-to-reveal */
  c?: boolean;
  /** the site requires consent */
  k?: boolean;
  /** the visitor gave consent */
  g?: boolean;
}

/** One session: id, last activity (ms), campaign, paths seen. */
interface Session {
  i: string;
  t: number;
  c: string;
  p: string[];
}

/** A message between the visitor's tabs: n a new number; h hello, a here too, b bye (from tab ids). */
interface Note {
  n?: string;
  h?: string;
  a?: string;
  b?: string;
}

const w = window;
const d = document;
const VID = "ctrack_vid";
const SES = "ctrack_ses";
const CFG = "ctrack_cfg";
const MSG = "ctrack_msg";
const NO_SWAP = "[data-ctrack-no-swap]";
const HIDE = "data-ctrack-hide";
const MASKED = "data-ctrack-masked";
const SHOW = "data-ctrack-show";
const SESSION_IDLE_MS = 30 * 60 * 1000;
const PAGES_KEPT = 50;
const CAMPAIGN = ["utm_source", "utm_medium", "utm_campaign", "gclid", "yclid", "fbclid", "msclkid"];

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

const load = <T>(key: string): T | null => {
  try {
    return JSON.parse(localStorage.getItem(key) || "null");
  } catch {
    return null;
  }
};

const save = (key: string, value: unknown): void => {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // storage blocked: this page still works, the next one starts afresh
  }
};

const cookie = (name: string): string | null => {
  const found = new RegExp("(?:^|; )" + name + "=([^;]+)").exec(d.cookie);
  return found ? found[1] : null;
};

const script = (d.currentScript || d.querySelector("script[data-site]")) as HTMLScriptElement | null;
const attr = (name: string): string | null => (script ? script.getAttribute("data-" + name) : null);

const siteKey = attr("site");
const api = (attr("api") || (script && script.src ? new URL(script.src).origin : "")).replace(/\/$/, "");
const configured = (attr("numbers") || "").split(",").filter(Boolean);
const fixedBeat = +(attr("heartbeat") || 0) * 1000;
const consentRequired = attr("consent-required") !== null;
const revealLabel = attr("reveal-label") || "show";
const cfg: Remembered = load(CFG) || {};

let business: string[] = [...new Set(configured.concat(cfg.r || []))];
let current = "";
const seen: string[] = [];
let visitorId = "";
let visitId = "";
let sessionId = "";
let lastUrl = "";
let timer = 0;
let grantTimer = 0;
let beatMs = fixedBeat || 15000;
let active = false;
let hiding = false;
let revealing = attr("click-to-reveal") !== null || !!cfg.c;
let revealed = false;
/** Masked text nodes: [node, its text before, its text masked]. Masked `tel:` links get MASKED. */
let originals: [Text, string, string][] = [];
let socket: WebSocket | null = null;
/** The socket's URL once it has opened: only a socket that worked is tried again after it closes. */
let socketUrl = "";
let socketTried = false;
const listeners: ((n: string) => void)[] = [];
const waiting: ((n: CtrackNumbers) => void)[] = [];
const channel = w.BroadcastChannel ? new BroadcastChannel("ctrack") : null;
const tab = id();
/** The visitor's other open tabs of this site (known through the channel). */
const others = new Set<string>();

function visitor(): string {
  try {
    const stored = localStorage.getItem(VID);
    if (stored) return stored;
    const made = id();
    localStorage.setItem(VID, made);
    return made;
  } catch {
    // storage blocked: a first-party cookie instead
    const made = cookie(VID) || id();
    d.cookie = `${VID}=${made}; path=/; max-age=63072000; samesite=lax`;
    return made;
  }
}

/** The current session, renewed by activity; a new one after 30 idle minutes or a new campaign.
 * `page` records this page; returns the session and the paths seen before it. */
function session(page: boolean): [Session, string[]] {
  const query = new URLSearchParams(location.search);
  const campaign = CAMPAIGN.map((k) => query.get(k) || "").join("|");
  const now = Date.now();
  let s = load<Session>(SES);
  if (!s || now - s.t > SESSION_IDLE_MS || (/[^|]/.test(campaign) && campaign !== s.c)) s = { i: id(), t: now, c: campaign, p: [] };
  const before = s.p;
  if (page) s.p = before.concat(location.pathname).slice(-PAGES_KEPT);
  s.t = now;
  save(SES, s);
  return [s, before];
}

function forget(): void {
  try {
    localStorage.removeItem(VID);
    localStorage.removeItem(SES);
  } catch {
    // nothing stored
  }
  d.cookie = VID + "=; path=/; max-age=0";
}

function unhide(): void {
  hiding = false;
  for (const el of d.querySelectorAll(`[${HIDE}]`)) el.removeAttribute(HIDE);
}

const accepts = (node: Node): boolean => {
  const el = node.nodeType === 1 ? (node as Element) : node.parentElement;
  return !el || !el.closest(NO_SWAP);
};

/**
 * Acts on every number under `root` (text, also split across elements, and `tel:` links): swaps it
 * for the current number, masks it (click-to-reveal), or hides it while the number is not known yet.
 */
function swap(root: Node = d.body): void {
  const masking = revealing && !revealed;
  if (!root || !accepts(root) || !(current || hiding || masking)) return;
  const from = business.concat(seen).filter((n) => n !== current);
  const texts: Text[] = [];
  const walker = d.createTreeWalker(root, 5, {
    acceptNode: (n) =>
      n.nodeType === 3
        ? 1
        : (n as Element).matches(NO_SWAP + ",script,style,textarea,noscript," + `[${SHOW}]`)
          ? 2
          : 3,
  });
  for (let n: Node | null = root.nodeType === 3 ? root : walker.nextNode(); n; n = walker.nextNode()) {
    texts.push(n as Text);
    if (n === root) break;
  }
  const whole = texts.map((t) => t.data).join("");
  const list = current && !masking ? edits(whole, from, current) : mask(whole, from);
  let start = 0;
  for (const text of texts) {
    const end = start + text.data.length;
    const mine = list.filter(([at]) => at >= start && at < end).map(([at, to]): Edit => [at - start, to]);
    start = end;
    if (!mine.length) continue;
    if (masking) {
      const before = text.data;
      text.data = apply(before, mine);
      originals.push([text, before, text.data]);
      if (mine.some(([, to]) => to === "…")) {
        const button = d.createElement("button");
        button.type = "button";
        button.setAttribute(SHOW, "");
        button.textContent = revealLabel;
        text.after(button);
      }
    } else if (current) text.data = apply(text.data, mine);
    else text.parentElement!.setAttribute(HIDE, "");
  }
  const links = root.nodeType === 1 ? [root as Element, ...(root as Element).querySelectorAll("a[href^='tel:']")] : [];
  for (const link of links) {
    const href = link.getAttribute("href") || "";
    if (!href.startsWith("tel:") || !accepts(link)) continue;
    if (current && !masking) {
      const next = rewrite(href, from, current);
      if (next !== href) link.setAttribute("href", next);
    } else if (mask(href, from).length) link.setAttribute(masking ? MASKED : HIDE, "");
  }
}

const numbers = (): CtrackNumbers => Object.fromEntries(business.map((b) => [b, current]));

/** Tells the visitor's other tabs (BroadcastChannel, else the `storage` event). */
const tell = (note: Note): void => {
  if (channel) channel.postMessage(note);
  else save(MSG, { ...note, r: id() });
};

/** Shows `number` from now on; `told` when it came from another tab (so it is not sent back). */
function show(number: string | null | undefined, told?: boolean): void {
  if (!number || number === current) return;
  if (current) seen.push(current);
  current = number;
  swap();
  unhide();
  for (const cb of listeners) safe(cb)(number);
  for (const cb of waiting.splice(0)) safe(cb)(numbers());
  if (!told) tell({ n: number });
}

const hear = safe((note: Note | null) => {
  if (!note) return;
  show(note.n, true);
  if (note.h) tell({ a: tab });
  if (note.h || note.a) others.add(note.h || note.a!);
  others.delete(note.b!);
});

function post(path: string, body: object): Promise<Answer> {
  return fetch(api + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ site_key: siteKey, visitor_id: visitorId, ...body }),
    keepalive: true,
  }).then((r) => (r.ok ? r.json() : {}));
}

const failed = safe((e: unknown) => {
  unhide();
  console.debug("ctrack:", e);
});

/** Sends over the socket when it is open; false when it is not. */
const send = (message: object): boolean => !!socket && socket.readyState === 1 && (socket.send(JSON.stringify(message)), true);

function schedule(ms: number): void {
  clearInterval(timer);
  beatMs = ms;
  timer = w.setInterval(beat, ms);
}

const beat = safe(() => {
  if (!visitorId) return;
  const was = active;
  active = false;
  if (was) session(false);
  if (send({ type: "heartbeat", active: was })) return;
  post("/v1/heartbeat", { visit_id: visitId, active: was }).then(answered, failed);
  if (!socket && socketUrl) connect(socketUrl);
});

function connect(path: string): void {
  const url = new URL(path, api);
  url.protocol = url.protocol.replace("http", "ws");
  for (const [k, v] of Object.entries({ site_key: siteKey!, visitor_id: visitorId, visit_id: visitId, session_id: sessionId })) url.searchParams.set(k, v);
  const ws = new WebSocket(url.href);
  socket = ws;
  ws.onopen = () => (socketUrl = path);
  ws.onmessage = safe((e: MessageEvent) => {
    const message: Answer = JSON.parse(e.data);
    if (message.type === "number") answered(message);
  });
  // blocked, refused or dropped: heartbeats go over HTTP, and reconnect if this socket had worked and
  // was not refused by the server (1008: policy violation)
  ws.onclose = (e) => {
    if (e.code === 1008) socketUrl = "";
    if (socket === ws) socket = null;
  };
}

function stop(): void {
  clearInterval(timer);
  if (socket) {
    socket.onclose = null;
    socket.close();
  }
  socket = null;
  socketTried = false;
  visitorId = "";
}

const answered = safe((a: Answer) => {
  const consentMissing = a.reason === "consent_required";
  save(CFG, Object.assign(cfg, {
    r: a.replace || cfg.r,
    a: a.anti_flicker_ms ?? cfg.a,
    c: a.click_to_reveal ?? cfg.c,
    k: consentMissing,
  }));
  if (consentMissing) {
    // the site requires consent: forget this visitor and send nothing more until ctrack('consent', true)
    stop();
    forget();
    return unhide();
  }
  business = [...new Set(business.concat(a.replace || [], a.business_number || []))];
  revealing = revealing || !!a.click_to_reveal;
  if (!fixedBeat && a.heartbeat_seconds && a.heartbeat_seconds * 1000 !== beatMs) schedule(a.heartbeat_seconds * 1000);
  show(a.number);
  unhide();
  clearTimeout(grantTimer);
  // delayed display without a socket: ask again when the pool number is due
  if (a.grant_at && !socket) grantTimer = w.setTimeout(beat, Math.max(0, Date.parse(a.grant_at) - Date.now() + 100));
  if (a.ws_url && !socketTried && visitorId) {
    socketTried = true;
    safe(connect)(a.ws_url);
  }
});

function start(): void {
  if (visitorId || ((consentRequired || cfg.k) && !cfg.g)) return;
  visitorId = visitor();
  visitId = id();
  lastUrl = location.href;
  const [s, before] = session(true);
  sessionId = s.i;
  const ga = cookie("_ga");
  post("/v1/visits", {
    visit_id: visitId,
    session_id: sessionId,
    url: lastUrl,
    referrer: d.referrer || null,
    user_agent: navigator.userAgent,
    pages_seen: before,
    // "GA1.1.123.456": the client id is the last two parts
    ga_client_id: ga ? ga.split(".").slice(-2).join(".") : null,
    ym_client_id: cookie("_ym_uid"),
    consent: !!cfg.g,
  }).then(answered, failed);
  schedule(beatMs);
}

/** An SPA route change: a page view of the same visit. */
function navigated(): void {
  swap();
  if (!visitorId || location.href.split("#")[0] === lastUrl.split("#")[0]) return;
  lastUrl = location.href;
  const [{ i }, before] = session(true);
  sessionId = i;
  const view = { url: lastUrl, pages_seen: before, session_id: sessionId };
  if (!send({ type: "page", ...view })) post("/v1/pageview", { visit_id: visitId, ...view }).then(answered, failed);
}

function reveal(): void {
  revealed = true;
  for (const [node, before, masked] of originals) if (node.data === masked) node.data = before;
  originals = [];
  for (const el of d.querySelectorAll(`[${SHOW}]`)) el.remove();
  for (const el of d.querySelectorAll(`[${MASKED}]`)) el.removeAttribute(MASKED);
  swap();
  if (visitorId) post("/v1/reveal", { visit_id: visitId, session_id: sessionId, number: current || business[0] }).catch(failed);
}

const methods = {
  onNumber: (cb: (n: string) => void) => {
    listeners.push(cb);
    if (current) safe(cb)(current);
  },
  getNumbers: (cb: (n: CtrackNumbers) => void) => (current ? safe(cb)(numbers()) : waiting.push(cb)),
  swap,
  consent: (granted: boolean) => {
    save(CFG, Object.assign(cfg, { g: granted }));
    if (granted) return start();
    stop();
    forget();
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
  const style = d.createElement("style");
  style.textContent = `[${HIDE}]{visibility:hidden!important}[${SHOW}]{margin-left:.3em;cursor:pointer}`;
  (d.head || d.documentElement).appendChild(style);
  const hideMs = +(attr("anti-flicker") ?? cfg.a ?? 0);
  if (hideMs > 0) {
    hiding = true;
    setTimeout(unhide, hideMs);
  }
  if (channel) channel.onmessage = ({ data }: MessageEvent) => hear(data);
  w.addEventListener("storage", (e: StorageEvent) => e.key === MSG && hear(load(MSG)));
  tell({ h: tab });
  w.addEventListener(
    "pagehide",
    safe(() => {
      tell({ b: tab });
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
      stop();
      tell({ h: tab });
      start();
    }),
  );
  d.addEventListener(
    "click",
    safe((e: Event) => {
      const target = e.target as Element;
      if (revealing && !revealed && target.closest && target.closest(`[${SHOW}],[${MASKED}]`)) {
        e.preventDefault();
        reveal();
      }
    }),
    true,
  );
  // a person is here: idle reclaim counts from the last of these
  for (const name of ["pointerdown", "pointermove", "keydown", "scroll", "touchstart", "visibilitychange"])
    w.addEventListener(name, () => (active = active || !d.hidden), { capture: true, passive: true });
  new MutationObserver(
    safe((records: MutationRecord[]) => {
      for (const r of records) swap(r.type === "characterData" ? r.target.parentNode! : r.target);
    }),
  ).observe(d.documentElement, { childList: true, subtree: true, characterData: true });
  const later = () => setTimeout(safe(navigated));
  for (const name of ["pushState", "replaceState"] as const) {
    const original = history[name];
    history[name] = function (this: History, ...args: Parameters<History["pushState"]>) {
      original.apply(this, args);
      later();
    };
  }
  w.addEventListener("popstate", later);
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", () => safe(swap)());
  else swap();
  for (const call of existing && existing.q ? existing.q : []) ctrack(...(Array.from(call) as [never, never]));
  start();
});

init();
