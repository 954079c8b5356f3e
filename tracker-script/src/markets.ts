/**
 * Country calling code -> national (trunk) prefix, for the markets the script formats.
 * Taken from libphonenumber's metadata (Python `phonenumbers`: `country_code`, `national_prefix`
 * of RU, KZ, BG, US, CA, GB, DE); tests/browser/test_markets_data.py keeps this table equal to it.
 */
export const TRUNK: Record<string, string> = { "1": "1", "7": "8", "44": "0", "49": "0", "359": "0" };
