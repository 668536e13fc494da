// Persian text the way the server reads it (sync/normalize.py: fold), Persian digits, and the
// Jalali calendar from the platform (Intl with the Persian calendar).

const LETTERS = {
  "ي": "ی", "ى": "ی", "ئ": "ی", "ې": "ی", "ۍ": "ی", "ے": "ی",
  "ك": "ک", "ڪ": "ک",
  "ة": "ه", "ۀ": "ه", "ە": "ه", "ھ": "ه",
  "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
  "ؤ": "و",
  "ـ": "", "\u200c": " ", "\u200d": "", "\u200e": "", "\u200f": "",
  "\u202a": "", "\u202b": "", "\u202c": "", "\u202d": "", "\u202e": "",
  "\u2066": "", "\u2067": "", "\u2068": "", "\u2069": "", "\ufeff": "", "\u00ad": "",
};
const LETTER_RE = new RegExp(`[${Object.keys(LETTERS).join("")}]`, "gu");
const DIGITS = "۰۱۲۳۴۵۶۷۸۹";
const ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩";
const DIGIT_RE = /[۰-۹٠-٩]/gu;
const MARKS = /\p{Mn}+/gu;

export function asciiDigits(text) {
  return String(text ?? "").replace(DIGIT_RE, (d) => String(DIGITS.indexOf(d) >= 0 ? DIGITS.indexOf(d) : ARABIC_DIGITS.indexOf(d)));
}

function foldOnce(text) {
  let t = text.normalize("NFKC").toLowerCase().normalize("NFKC");
  t = t.replace(LETTER_RE, (c) => LETTERS[c]).replace(MARKS, "");
  return asciiDigits(t).split(/\s+/u).filter(Boolean).join(" ");
}

// A search key: Arabic letters folded to Persian, no diacritics, ZWNJ as a space, digits in
// ASCII, lower case, single spaces — the server's fold(), so searches agree on both sides.
export function fold(text) {
  let out = foldOnce(String(text ?? ""));
  for (let i = 0; i < 4; i += 1) {
    const again = foldOnce(out);
    if (again === out) break;
    out = again;
  }
  return out;
}

export function digitsOnly(text) {
  return asciiDigits(text).replace(/[^0-9]/g, "");
}

export function persianDigits(value) {
  return String(value ?? "").replace(/[0-9]/g, (d) => DIGITS[Number(d)]);
}

// --- Jalali dates --------------------------------------------------------------------------

const parts = new Intl.DateTimeFormat("fa-IR-u-ca-persian-nu-latn", {
  timeZone: "Asia/Tehran", year: "numeric", month: "numeric", day: "numeric",
});
const clock = new Intl.DateTimeFormat("fa-IR-u-nu-latn", {
  timeZone: "Asia/Tehran", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});

// {y, m, d} of the Tehran day of `moment` (a Date or an ISO string) in the Jalali calendar.
export function jalaliOf(moment) {
  const date = moment instanceof Date ? moment : new Date(moment);
  const p = Object.fromEntries(parts.formatToParts(date).map((x) => [x.type, x.value]));
  return { y: Number(asciiDigits(p.year)), m: Number(asciiDigits(p.month)), d: Number(asciiDigits(p.day)) };
}

const pad = (n, w = 2) => String(n).padStart(w, "0");

export function jalaliText({ y, m, d }) {
  return persianDigits(`${pad(y, 4)}/${pad(m)}/${pad(d)}`);
}

export function jalaliDay(moment) {
  return moment ? jalaliText(jalaliOf(moment)) : "";
}

export function jalaliDayTime(moment) {
  if (!moment) return "";
  return `${jalaliDay(moment)} ${persianDigits(asciiDigits(clock.format(new Date(moment))))}`;
}

// The Gregorian day ("YYYY-MM-DD") of a Jalali day, found through the platform's own calendar
// (no conversion table of ours): from a first guess, step by the distance between the Jalali
// day reached and the one asked for until they agree. Null when there is no such day
// (1404/12/30 in a common year, 1404/07/31).
const dayNumber = ({ y, m, d }) => y * 365.2422 + (m <= 6 ? (m - 1) * 31 : 186 + (m - 7) * 30) + d;

export function gregorianOf(jy, jm, jd) {
  if (!(jm >= 1 && jm <= 12 && jd >= 1 && jd <= (jm <= 6 ? 31 : 30))) return null;
  const target = { y: jy, m: jm, d: jd };
  const order = (j) => j.y * 10000 + j.m * 100 + j.d;
  let guess = Date.UTC(jy + 621, 2, 21, 12) + Math.round(dayNumber(target) - dayNumber({ y: jy, m: 1, d: 1 })) * 86400000;
  for (let i = 0; i < 4; i += 1) { // a jump by the approximate distance…
    const off = Math.round(dayNumber(target) - dayNumber(jalaliOf(new Date(guess))));
    if (Math.abs(off) <= 1) break;
    guess += off * 86400000;
  }
  const first = Math.sign(order(target) - order(jalaliOf(new Date(guess))));
  for (let i = 0; i < 5; i += 1) { // …then day by day: a day that does not exist is stepped over
    const here = jalaliOf(new Date(guess));
    const side = Math.sign(order(target) - order(here));
    if (side === 0) {
      const g = new Date(guess);
      return `${g.getUTCFullYear()}-${pad(g.getUTCMonth() + 1)}-${pad(g.getUTCDate())}`;
    }
    if (side !== first) return null;
    guess += side * 86400000;
  }
  return null;
}

// "1404/12/10", Persian or ASCII digits, "/" "-" or "." between → "YYYY-MM-DD", or null.
export function parseJalali(text) {
  const bits = asciiDigits(text).trim().split(/[/\-.]/);
  if (bits.length !== 3 || !bits.every((b) => /^\d+$/.test(b)) || bits[0].length !== 4) return null;
  return gregorianOf(Number(bits[0]), Number(bits[1]), Number(bits[2]));
}

export function todayJalali() {
  return jalaliText(jalaliOf(new Date()));
}
