/**
 * Public API of the ctrack tracker script on `window.ctrack`, and the options of its `<script>` tag.
 *
 * Before the script has loaded, `window.ctrack` is the queueing stub from the snippet and only the
 * call form `ctrack("method", ...args)` exists; the script replays queued calls in order on load.
 * After load both `ctrack("swap", node)` and `ctrack.swap(node)` work. No method ever throws.
 */

/** The site's business numbers (E.164) mapped to the visitor's tracking number (E.164). */
export type CtrackNumbers = Record<string, string>;

export interface CtrackApi {
  (method: "onNumber", callback: (number: string) => void): void;
  (method: "getNumbers", callback: (numbers: CtrackNumbers) => void): void;
  (method: "swap", node?: Node): void;
  (method: "consent", granted: boolean): void;
  /** Calls `callback(number)` now if the number is known, and every time it changes (in any tab). */
  onNumber(callback: (number: string) => void): void;
  /** Calls `callback` once, when the tracking number is known. */
  getNumbers(callback: (numbers: CtrackNumbers) => void): void;
  /** Swaps the numbers in `node` (default `document.body`), e.g. after rendering a template. */
  swap(node?: Node): void;
  /**
   * Grants (`true`) or withdraws (`false`) consent, remembered on this browser. Needed only when the
   * site requires consent (`data-consent-required`, or the server answers `consent_required`): until
   * then nothing is sent. `false` stops heartbeats, closes the socket and forgets the visitor and session.
   */
  consent(granted: boolean): void;
  /** The stub's queue of calls made before load. */
  q?: IArguments[];
}

/**
 * The `data-*` attributes of the script tag (`<script src=".../v1/tracker.js" data-site="...">`).
 * Settings the server sends (numbers to replace, anti-flicker, click-to-reveal, consent required,
 * heartbeat period) apply from its first answer and are remembered for the site's next pages.
 */
export interface CtrackScriptOptions {
  /** `data-site`: the site's public key. Required: without it the script does nothing. */
  site: string;
  /** `data-api`: base URL of session-tracker. Default: the origin of the script's `src`. */
  api?: string;
  /** `data-numbers`: comma-separated E.164 numbers to replace, besides the server's `replace` list. Default: none. */
  numbers?: string;
  /** `data-anti-flicker`: hide the numbers to replace until swapped, at most this many ms. Default: the server's `anti_flicker_ms` (0: off). */
  antiFlicker?: number;
  /** `data-heartbeat`: seconds between heartbeats. Default: the server's `heartbeat_seconds` (15 before the first answer). */
  heartbeat?: number;
  /** `data-consent-required` (no value): send nothing until `ctrack("consent", true)`. Default: absent (the server may still require it). */
  consentRequired?: boolean;
  /** `data-click-to-reveal` (no value): mask the numbers from the start. Default: absent (the server's `click_to_reveal`). */
  clickToReveal?: boolean;
  /** `data-reveal-label`: text of the button that reveals a masked number. Default: `"show"`. */
  revealLabel?: string;
}

declare global {
  interface Window {
    ctrack?: CtrackApi;
  }
}
