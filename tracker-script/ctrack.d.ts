/**
 * Public API of the ctrack tracker script on `window.ctrack`.
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
  /** Grants (`true`) or withdraws (`false`) consent; needed only with `data-consent="required"`. */
  consent(granted: boolean): void;
  /** The stub's queue of calls made before load. */
  q?: IArguments[];
}

declare global {
  interface Window {
    ctrack?: CtrackApi;
  }
}
