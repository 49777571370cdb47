/* The staff console's client of the staff API (/v1/staff/...). Every request of the console goes through here, so
   the rules that branch live in one module with unit tests (tests/js/, run by `node --test` from pytest):
   - the bearer token (sessionStorage: one sign-in per tab, gone when the tab closes) on every request;
   - 401: the token is dropped and the browser goes to the sign-in page, which brings it back afterwards;
   - 409: a message that says the case moved on (someone else acted first), never the raw status pair;
   - every error as {status, code, message, details} with a message in Bahasa Indonesia, also when the network or
     a proxy answered instead of the API;
   - filters to query strings and back, cursor pagination with a way back;
   - the OpenID Connect sign-in with Google (response_type=id_token, a nonce and a state), without Google's script;
   - dates in WIB, and whether a deadline has passed or falls today.
   Nothing here touches the DOM: the page code is console.mjs. */

export const TOKEN_KEY = "bahagia.petugas.token";
export const SIGN_IN_PATH = "/petugas/masuk.html";
export const HOME_PATH = "/petugas/";
const SIGN_IN_STATE_KEY = "bahagia.petugas.masuk";
const TIME_ZONE = "Asia/Jakarta";

export const NETWORK_MESSAGE = "Tidak dapat terhubung ke server. Periksa koneksi Anda, lalu coba lagi.";
export const CONFLICT_MESSAGE =
  "Kasus ini sudah berubah sejak Anda membukanya, mungkin oleh petugas lain. Perubahan Anda tidak disimpan. " +
  "Keadaan terbaru sudah dimuat: periksa lagi sebelum bertindak.";
export const SESSION_MESSAGE = "Sesi Anda berakhir. Silakan masuk kembali.";

const STATUS_MESSAGES = {
  400: "Permintaan tidak dapat dibaca.",
  401: SESSION_MESSAGE,
  403: "Peran Anda tidak berwenang melakukan tindakan ini.",
  404: "Data tidak ditemukan.",
  405: "Tindakan ini tidak didukung.",
  409: "Permintaan bertentangan dengan data yang ada.",
  413: "Isian terlalu besar.",
  415: "Jenis isian tidak didukung.",
  422: "Periksa kembali isian Anda.",
  429: "Terlalu banyak permintaan. Tunggu sebentar, lalu coba lagi.",
  503: "Layanan sedang tidak tersedia. Coba lagi beberapa saat lagi.",
};

/** An error of the staff API, or of the way to it, as the console shows it. */
export class ApiError extends Error {
  constructor({ status, code, message, details = [], serverMessage = null }) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.serverMessage = serverMessage;
  }

  /** The case changed under the person (a transition from a status it no longer has). */
  get conflict() {
    return this.status === 409 && this.code === "invalid_transition";
  }
}

function fallbackMessage(status) {
  if (STATUS_MESSAGES[status]) {
    return STATUS_MESSAGES[status];
  }
  return status >= 500 ? "Terjadi kesalahan pada server. Coba lagi beberapa saat lagi." : `Permintaan gagal (HTTP ${status}).`;
}

/** The ApiError for an HTTP status and the parsed body (or null when the body was not the API's JSON). */
export function errorFromBody(status, body) {
  const error = body && typeof body === "object" && body.error && typeof body.error === "object" ? body.error : null;
  const code = error && typeof error.code === "string" ? error.code : `http_${status}`;
  const serverMessage = error && typeof error.message === "string" && error.message ? error.message : null;
  const details = error && Array.isArray(error.details)
    ? error.details.filter((d) => d && typeof d === "object").map((d) => ({
      field: String(d.field || ""), code: String(d.code || ""), message: String(d.message || ""),
    }))
    : [];
  let message = serverMessage || fallbackMessage(status);
  if (status === 409 && code === "invalid_transition") {
    message = CONFLICT_MESSAGE;
  } else if (status === 401) {
    message = SESSION_MESSAGE;
  }
  return new ApiError({ status, code, message, details, serverMessage });
}

async function errorFromResponse(response) {
  let body = null;
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("json")) {
    try {
      body = await response.json();
    } catch {
      body = null;
    }
  }
  return errorFromBody(response.status, body);
}

// --- filters and query strings -----------------------------------------------------------------------------------

/** The list filters the API knows, in the order they appear in a query string. */
export const FILTER_KEYS = [
  "status", "kind", "program", "category", "kecamatan", "kelurahan", "opd", "overdue", "sort", "from", "to", "limit",
];

/** `?status=diterima&overdue=true`, or "" without filters. Empty values, `false` and unknown keys are left out. */
export function toQuery(filters, cursor = null) {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filters ? filters[key] : undefined;
    if (value === undefined || value === null || value === false) {
      continue;
    }
    const text = value === true ? "true" : String(value).trim();
    if (text !== "") {
      params.append(key, text);
    }
  }
  if (cursor) {
    params.append("cursor", cursor);
  }
  const query = params.toString();
  return query ? `?${query}` : "";
}

/** The filters of a page address (`location.search`), the inverse of toQuery without the cursor. */
export function filtersFromQuery(search) {
  const params = new URLSearchParams(search || "");
  const filters = {};
  for (const key of FILTER_KEYS) {
    const value = (params.get(key) || "").trim();
    if (value === "") {
      continue;
    }
    filters[key] = key === "overdue" ? ["true", "1", "ya"].includes(value.toLowerCase()) : value;
  }
  if (filters.overdue === false) {
    delete filters.overdue;
  }
  return filters;
}

// --- cursor pagination -------------------------------------------------------------------------------------------

/** Pages of a list with opaque cursors: forward with the API's next_cursor, back with the cursors already seen.
    The counts come with the first page only (they cost a query each) and are kept while paging. */
export class Pager {
  constructor(fetchPage) {
    this.fetchPage = fetchPage;
    this.cursors = [null];
    this.nextCursor = null;
    this.counts = null;
    this.items = [];
  }

  get pageNumber() {
    return this.cursors.length;
  }

  get hasNext() {
    return Boolean(this.nextCursor);
  }

  get hasPrevious() {
    return this.cursors.length > 1;
  }

  async first() {
    this.cursors = [null];
    this.counts = null;
    return this.load();
  }

  async next() {
    if (!this.nextCursor) {
      return this.items;
    }
    this.cursors.push(this.nextCursor);
    return this.load();
  }

  async previous() {
    if (this.cursors.length > 1) {
      this.cursors.pop();
    }
    return this.load();
  }

  async load() {
    const cursor = this.cursors[this.cursors.length - 1];
    const page = await this.fetchPage(cursor);
    this.items = Array.isArray(page.items) ? page.items : [];
    this.nextCursor = page.next_cursor || null;
    if (page.counts) {
      this.counts = page.counts;
    }
    return this.items;
  }
}

// --- sign-in state -------------------------------------------------------------------------------------------------

/** A return path that stays inside the console (never another site, never the sign-in page itself). */
export function safeReturnPath(path) {
  if (typeof path !== "string" || !path.startsWith("/petugas/") || path.startsWith("//") || path.includes("\\")) {
    return HOME_PATH;
  }
  if (path.split("?")[0].split("#")[0] === SIGN_IN_PATH) {
    return HOME_PATH;
  }
  return path;
}

/** The sign-in page's address that comes back to `returnTo` afterwards. */
export function signInUrl(returnTo, reason = "") {
  const params = new URLSearchParams();
  const back = safeReturnPath(returnTo);
  if (back !== HOME_PATH) {
    params.set("kembali", back);
  }
  if (reason) {
    params.set("alasan", reason);
  }
  const query = params.toString();
  return query ? `${SIGN_IN_PATH}?${query}` : SIGN_IN_PATH;
}

/** The page a role starts on: the queue, or the one page a role without cases has. */
export function homeFor(role) {
  if (role === "admin") {
    return "/petugas/staf.html";
  }
  if (role === "operator") {
    return "/petugas/call-center.html";
  }
  return HOME_PATH;
}

// --- the client --------------------------------------------------------------------------------------------------

/** The staff API client. `fetch`, `storage` (sessionStorage) and `navigate` (location.assign) are handed in, so the
    tests run it without a browser. `here` returns the current path, where the sign-in page brings the person back. */
export function createClient({ fetch, storage, navigate, here = () => HOME_PATH, base = "" }) {
  function token() {
    return storage.getItem(TOKEN_KEY);
  }

  function expire() {
    storage.removeItem(TOKEN_KEY);
    navigate(signInUrl(here(), "sesi"));
    return new ApiError({ status: 401, code: "unauthorized", message: SESSION_MESSAGE });
  }

  async function send(method, path, { query = null, cursor = null, body = undefined, headers = {} } = {}) {
    const current = token();
    if (!current) {
      throw expire();
    }
    const init = {
      method,
      headers: { Accept: "application/json", ...headers, Authorization: `Bearer ${current}` },
      credentials: "omit",
      cache: "no-store",
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(base + path + toQuery(query, cursor), init);
    } catch {
      throw new ApiError({ status: 0, code: "network", message: NETWORK_MESSAGE });
    }
    if (response.status === 401) {
      throw expire();
    }
    if (!response.ok) {
      throw await errorFromResponse(response);
    }
    return response;
  }

  async function json(method, path, options) {
    const response = await send(method, path, options);
    try {
      return await response.json();
    } catch {
      throw new ApiError({ status: response.status, code: "bad_response", message: fallbackMessage(502) });
    }
  }

  const code = (value) => encodeURIComponent(String(value).replace(/[\s-]/g, "").toUpperCase());

  return {
    token,
    signedIn: () => Boolean(token()),
    signIn(value) {
      storage.setItem(TOKEN_KEY, value);
    },
    signOut() {
      storage.removeItem(TOKEN_KEY);
    },
    me: () => json("GET", "/v1/staff/me"),
    listSubmissions: (filters, cursor = null) => json("GET", "/v1/staff/submissions", { query: filters, cursor }),
    submissions(filters) {
      return new Pager((cursor) => json("GET", "/v1/staff/submissions", { query: filters, cursor }));
    },
    submission: (tracking) => json("GET", `/v1/staff/submissions/${code(tracking)}`),
    audit: (tracking) => json("GET", `/v1/staff/submissions/${code(tracking)}/audit`),
    /** `from` is the status the person saw: if the case moved on meanwhile, the API answers 409. */
    transition(tracking, { to, note, opd = null, from }) {
      const body = { to, note, from };
      if (opd) {
        body.opd = opd;
      }
      return json("POST", `/v1/staff/submissions/${code(tracking)}/transitions`, { body });
    },
    users: () => json("GET", "/v1/staff/users"),
    userChanges: () => json("GET", "/v1/staff/users/audit"),
    putUser: (email, { role, opd = null, active = true }) =>
      json("PUT", `/v1/staff/users/${encodeURIComponent(email.trim())}`, { body: { role, opd: opd || null, active } }),
    dashboard: () => json("GET", "/v1/staff/dashboard"),
    report: (date) => json("GET", `/v1/staff/reports/${encodeURIComponent(date)}`),
    async reportFile(date, format) {
      const types = { csv: "text/csv", xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", html: "text/html" };
      const response = await send("GET", `/v1/staff/reports/${encodeURIComponent(date)}.${format}`, {
        headers: { Accept: types[format] || "*/*" },
      });
      return response.blob();
    },
    /** The Call Center desk: one Idempotency-Key per call, so a retry files the caller's report once. */
    fileComplaint: (body, idempotencyKey) =>
      json("POST", "/v1/staff/complaints", { body, headers: { "Idempotency-Key": idempotencyKey } }),
  };
}

// --- Google sign-in (OpenID Connect, implicit flow for an ID token) -----------------------------------------------

export const GOOGLE_AUTHORIZE = "https://accounts.google.com/o/oauth2/v2/auth";

/** A random URL-safe string for the nonce and the state (crypto.getRandomValues). */
export function randomToken(crypto, bytes = 24) {
  const buffer = new Uint8Array(bytes);
  crypto.getRandomValues(buffer);
  return Array.from(buffer, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Where the browser goes to sign in with Google; it comes back to `redirectUri` with #id_token=... */
export function googleAuthUrl({ clientId, redirectUri, nonce, state, hostedDomain = "" }) {
  const params = new URLSearchParams({
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: "id_token",
    scope: "openid email",
    nonce,
    state,
    prompt: "select_account",
  });
  if (hostedDomain) {
    params.set("hd", hostedDomain);
  }
  return `${GOOGLE_AUTHORIZE}?${params.toString()}`;
}

/** Start a Google sign-in: remember nonce, state and the return path in `storage`, give the address to go to. */
export function beginGoogleSignIn({ storage, crypto, clientId, redirectUri, returnTo, hostedDomain = "" }) {
  const pending = { nonce: randomToken(crypto), state: randomToken(crypto), back: safeReturnPath(returnTo) };
  storage.setItem(SIGN_IN_STATE_KEY, JSON.stringify(pending));
  return googleAuthUrl({ clientId, redirectUri, nonce: pending.nonce, state: pending.state, hostedDomain });
}

/** `#a=1&b=2` as an object. */
export function parseFragment(hash) {
  const params = new URLSearchParams((hash || "").replace(/^#/, ""));
  return Object.fromEntries(params.entries());
}

/** The claims of a JWT, unverified (the API verifies the signature); null when it is not a JWT. */
export function jwtClaims(token) {
  const parts = typeof token === "string" ? token.split(".") : [];
  if (parts.length !== 3) {
    return null;
  }
  try {
    const base64 = parts[1].replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(parts[1].length / 4) * 4, "=");
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === "object" ? claims : null;
  } catch {
    return null;
  }
}

export class SignInError extends Error {
  constructor(message) {
    super(message);
    this.name = "SignInError";
  }
}

/** The ID token Google sent back in the fragment, after checking it answers the sign-in this tab started (state)
    and was issued for it (nonce): a token planted in a link is refused. Returns {token, back} or null when the
    fragment holds no sign-in answer at all. */
export function finishGoogleSignIn({ hash, storage, now = Date.now() }) {
  const answer = parseFragment(hash);
  if (!answer.id_token && !answer.error) {
    return null;
  }
  const raw = storage.getItem(SIGN_IN_STATE_KEY);
  storage.removeItem(SIGN_IN_STATE_KEY);
  let pending = null;
  try {
    pending = raw ? JSON.parse(raw) : null;
  } catch {
    pending = null;
  }
  if (!pending || !answer.state || answer.state !== pending.state) {
    throw new SignInError("Jawaban masuk tidak cocok dengan permintaan dari tab ini. Silakan masuk lagi.");
  }
  if (answer.error) {
    throw new SignInError(
      answer.error === "access_denied" ? "Masuk dibatalkan." : "Google menolak permintaan masuk. Silakan coba lagi.",
    );
  }
  const claims = jwtClaims(answer.id_token);
  if (!claims || claims.nonce !== pending.nonce) {
    throw new SignInError("Token masuk tidak sah. Silakan masuk lagi.");
  }
  if (typeof claims.exp === "number" && claims.exp * 1000 < now) {
    throw new SignInError("Token masuk sudah kedaluwarsa. Silakan masuk lagi.");
  }
  return { token: answer.id_token, back: safeReturnPath(pending.back) };
}

// --- dates in WIB and deadlines ----------------------------------------------------------------------------------

const dateFormat = new Intl.DateTimeFormat("id-ID", { timeZone: TIME_ZONE, day: "numeric", month: "long", year: "numeric" });
const timeFormat = new Intl.DateTimeFormat("id-ID", { timeZone: TIME_ZONE, hour: "2-digit", minute: "2-digit", hour12: false });
const isoDay = new Intl.DateTimeFormat("en-CA", { timeZone: TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit" });

function toDate(value) {
  if (value instanceof Date) {
    return value;
  }
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "27 Maret 2026" (the WIB date of an instant, or a YYYY-MM-DD date as it is). */
export function formatDate(value) {
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return dateFormat.format(new Date(`${value}T12:00:00+07:00`));
  }
  const date = toDate(value);
  return date ? dateFormat.format(date) : "";
}

/** "27 Maret 2026, 14.05 WIB". */
export function formatDateTime(value) {
  const date = toDate(value);
  return date ? `${dateFormat.format(date)}, ${timeFormat.format(date).replace(":", ".")} WIB` : "";
}

/** The WIB calendar date of an instant as YYYY-MM-DD. */
export function wibDate(value) {
  const date = toDate(value);
  return date ? isoDay.format(date) : "";
}

/** The WIB date `days` before the one of `now`, as YYYY-MM-DD (yesterday: the latest nightly report). */
export function wibDateBefore(now, days) {
  const [y, m, d] = wibDate(now).split("-").map(Number);
  const shifted = new Date(Date.UTC(y, m - 1, d - days, 12));
  return shifted.toISOString().slice(0, 10);
}

/** "overdue" when the deadline has passed, "today" when it falls later on today's WIB date, "later", or null. */
export function dueState(dueAt, now = new Date()) {
  const due = dueAt ? toDate(dueAt) : null;
  if (!due) {
    return null;
  }
  const current = toDate(now);
  if (due.getTime() < current.getTime()) {
    return "overdue";
  }
  return wibDate(due) === wibDate(current) ? "today" : "later";
}

/** ABCDEFGH2 -> "ABCD-EFGH2", the grouping people read aloud. */
export function formatCode(code) {
  const clean = String(code || "").replace(/[\s-]/g, "").toUpperCase();
  return clean.length > 4 ? `${clean.slice(0, 4)}-${clean.slice(4)}` : clean;
}

/** The dotted form fields of the desk as the JSON body (`location.kecamatan` stays dotted: the API nests it). */
export function formBody(entries) {
  const body = {};
  for (const [name, value] of entries) {
    const text = typeof value === "string" ? value.trim() : value;
    if (text === "" || text === null || text === undefined) {
      continue;
    }
    body[name] = text;
  }
  return body;
}
