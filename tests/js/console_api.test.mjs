// Unit tests of the staff console's API client (web/static/petugas/api.mjs), on Node's own runner:
// `node --test tests/js/` (tests/unit/test_console_js.py runs it inside `make test`). No npm package is needed.
import { test, describe } from "node:test";
import assert from "node:assert/strict";

import {
  ApiError,
  CONFLICT_MESSAGE,
  NETWORK_MESSAGE,
  Pager,
  SESSION_MESSAGE,
  SIGN_IN_PATH,
  SignInError,
  TOKEN_KEY,
  beginGoogleSignIn,
  createClient,
  dueState,
  errorFromBody,
  filtersFromQuery,
  finishGoogleSignIn,
  formBody,
  formatCode,
  formatDate,
  formatDateTime,
  googleAuthUrl,
  homeFor,
  jwtClaims,
  safeReturnPath,
  signInUrl,
  toQuery,
  wibDate,
  wibDateBefore,
} from "../../web/static/petugas/api.mjs";

class MemoryStorage {
  constructor(entries = {}) {
    this.map = new Map(Object.entries(entries));
  }
  getItem(key) {
    return this.map.has(key) ? this.map.get(key) : null;
  }
  setItem(key, value) {
    this.map.set(key, String(value));
  }
  removeItem(key) {
    this.map.delete(key);
  }
}

function jsonResponse(status, body, type = "application/json; charset=utf-8") {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { "Content-Type": type } });
}

/** A fetch that answers from a list and records every request. */
function recordingFetch(...answers) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, init });
    const answer = answers.length > 1 ? answers.shift() : answers[0];
    if (answer instanceof Error) {
      throw answer;
    }
    return answer.clone(); // a body can be read once: every call gets its own copy
  };
  return { fetch, calls };
}

function client(fetch, token = "tok-123") {
  const storage = new MemoryStorage(token ? { [TOKEN_KEY]: token } : {});
  const visits = [];
  const api = createClient({ fetch, storage, navigate: (url) => visits.push(url), here: () => "/petugas/kasus.html?kode=ABCD23456" });
  return { api, storage, visits };
}

function jwt(claims) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "RS256" })}.${part(claims)}.c2ln`;
}

describe("requests", () => {
  test("every request carries the bearer token and asks for JSON", async () => {
    const { fetch, calls } = recordingFetch(jsonResponse(200, { items: [], next_cursor: null }));
    const { api } = client(fetch);
    await api.listSubmissions({ status: "diterima" });
    assert.equal(calls.length, 1);
    assert.equal(calls[0].url, "/v1/staff/submissions?status=diterima");
    assert.equal(calls[0].init.headers.Authorization, "Bearer tok-123");
    assert.equal(calls[0].init.headers.Accept, "application/json");
    assert.equal(calls[0].init.credentials, "omit");
  });

  test("without a token nothing is sent and the browser goes to sign in, then back", async () => {
    const { fetch, calls } = recordingFetch(jsonResponse(200, {}));
    const { api, visits } = client(fetch, null);
    await assert.rejects(api.me(), (error) => error instanceof ApiError && error.status === 401);
    assert.equal(calls.length, 0);
    assert.deepEqual(visits, [`${SIGN_IN_PATH}?kembali=%2Fpetugas%2Fkasus.html%3Fkode%3DABCD23456&alasan=sesi`]);
  });

  test("a 401 drops the token and sends the person to sign in with a message", async () => {
    const { fetch } = recordingFetch(jsonResponse(401, { error: { code: "unauthorized", message: "Token tidak sah." } }));
    const { api, storage, visits } = client(fetch);
    await assert.rejects(api.submission("ABCD-23456"), (error) => {
      assert.equal(error.status, 401);
      assert.equal(error.message, SESSION_MESSAGE);
      return true;
    });
    assert.equal(storage.getItem(TOKEN_KEY), null);
    assert.equal(visits.length, 1);
    assert.match(visits[0], /^\/petugas\/masuk\.html\?kembali=/);
  });

  test("a transition sends the status the person saw as `from`, and the OPD only when there is one", async () => {
    const { fetch, calls } = recordingFetch(jsonResponse(200, { status: "diverifikasi" }));
    const { api } = client(fetch);
    await api.transition("abcd-23456", { to: "diverifikasi", note: "Lengkap", from: "diterima" });
    await api.transition("ABCD23456", { to: "didisposisikan", note: "Ke PUPR", opd: "dinas-pupr", from: "diverifikasi" });
    assert.equal(calls[0].url, "/v1/staff/submissions/ABCD23456/transitions");
    assert.equal(calls[0].init.method, "POST");
    assert.equal(calls[0].init.headers["Content-Type"], "application/json");
    assert.deepEqual(JSON.parse(calls[0].init.body), { to: "diverifikasi", note: "Lengkap", from: "diterima" });
    assert.deepEqual(JSON.parse(calls[1].init.body), {
      to: "didisposisikan", note: "Ke PUPR", from: "diverifikasi", opd: "dinas-pupr",
    });
  });

  test("a 409 on a transition says the case moved on, and keeps the server's words aside", async () => {
    const body = { error: { code: "invalid_transition", message: "Status tidak dapat diubah dari 'diverifikasi' menjadi 'diverifikasi'." } };
    const { fetch } = recordingFetch(jsonResponse(409, body));
    const { api, storage } = client(fetch);
    await assert.rejects(api.transition("ABCD23456", { to: "diverifikasi", note: "x", from: "diterima" }), (error) => {
      assert.equal(error.conflict, true);
      assert.equal(error.message, CONFLICT_MESSAGE);
      assert.match(error.serverMessage, /diverifikasi/);
      return true;
    });
    assert.equal(storage.getItem(TOKEN_KEY), "tok-123"); // a conflict is no reason to sign out
  });

  test("other 409s (a reused idempotency key) keep the server's message and are no conflict", async () => {
    const body = { error: { code: "idempotency_conflict", message: "Kunci idempotensi sudah dipakai untuk isi lain." } };
    const { fetch } = recordingFetch(jsonResponse(409, body));
    const { api } = client(fetch);
    await assert.rejects(api.fileComplaint({ category: "aspirasi" }, "key-12345678"), (error) => {
      assert.equal(error.conflict, false);
      assert.equal(error.message, "Kunci idempotensi sudah dipakai untuk isi lain.");
      return true;
    });
  });

  test("422 details come through field by field", async () => {
    const body = {
      error: {
        code: "validation_failed", message: "Ada isian yang tidak valid.",
        details: [{ field: "note", code: "required", message: "Catatan wajib diisi." }, "junk"],
      },
    };
    const { fetch } = recordingFetch(jsonResponse(422, body));
    const { api } = client(fetch);
    await assert.rejects(api.transition("ABCD23456", { to: "ditolak", note: "", from: "diterima" }), (error) => {
      assert.equal(error.status, 422);
      assert.deepEqual(error.details, [{ field: "note", code: "required", message: "Catatan wajib diisi." }]);
      return true;
    });
  });

  test("an answer that is not the API's JSON (a proxy page) still gives a message in Bahasa Indonesia", async () => {
    const { fetch } = recordingFetch(new Response("<html>Bad gateway</html>", { status: 502, headers: { "Content-Type": "text/html" } }));
    const { api } = client(fetch);
    await assert.rejects(api.me(), (error) => {
      assert.equal(error.status, 502);
      assert.equal(error.code, "http_502");
      assert.equal(error.message, "Terjadi kesalahan pada server. Coba lagi beberapa saat lagi.");
      return true;
    });
  });

  test("a network failure is status 0 with its own message", async () => {
    const { fetch } = recordingFetch(new TypeError("Failed to fetch"));
    const { api, storage } = client(fetch);
    await assert.rejects(api.me(), (error) => error.status === 0 && error.message === NETWORK_MESSAGE);
    assert.equal(storage.getItem(TOKEN_KEY), "tok-123");
  });

  test("the desk sends its Idempotency-Key", async () => {
    const { fetch, calls } = recordingFetch(jsonResponse(201, { tracking_code: "ABCD23456", pin: "123456" }));
    const { api } = client(fetch);
    const answer = await api.fileComplaint({ category: "infrastruktur", channel: "telepon" }, "desk-0000001");
    assert.equal(answer.pin, "123456");
    assert.equal(calls[0].url, "/v1/staff/complaints");
    assert.equal(calls[0].init.headers["Idempotency-Key"], "desk-0000001");
  });

  test("staff e-mail addresses are escaped in paths", async () => {
    const { fetch, calls } = recordingFetch(jsonResponse(200, {}));
    const { api } = client(fetch);
    await api.putUser(" budi+opd@jambikota.go.id ", { role: "opd", opd: "dinas-pupr", active: false });
    assert.equal(calls[0].url, "/v1/staff/users/budi%2Bopd%40jambikota.go.id");
    assert.deepEqual(JSON.parse(calls[0].init.body), { role: "opd", opd: "dinas-pupr", active: false });
  });
});

describe("errors", () => {
  test("unknown statuses and bodies fall back to a sentence, never to nothing", () => {
    assert.equal(errorFromBody(418, null).message, "Permintaan gagal (HTTP 418).");
    assert.equal(errorFromBody(503, {}).message, "Layanan sedang tidak tersedia. Coba lagi beberapa saat lagi.");
    assert.equal(errorFromBody(404, { error: { code: "not_found", message: "Data tidak ditemukan." } }).code, "not_found");
  });
});

describe("filters", () => {
  test("filters become a query string in a fixed order, empty values, false and unknown keys left out", () => {
    assert.equal(toQuery({}), "");
    assert.equal(toQuery(null), "");
    assert.equal(
      toQuery({ overdue: true, status: "diterima", kecamatan: " 15.71.01 ", kind: "", opd: null, foo: "bar", sort: "due" }),
      "?status=diterima&kecamatan=15.71.01&overdue=true&sort=due",
    );
    assert.equal(toQuery({ overdue: false, kelurahan: "15.71.01.1001" }), "?kelurahan=15.71.01.1001");
  });

  test("the cursor goes last and is escaped", () => {
    assert.equal(toQuery({ status: "diterima" }, "eyJv+/="), "?status=diterima&cursor=eyJv%2B%2F%3D");
    assert.equal(toQuery({}, "abc"), "?cursor=abc");
  });

  test("a page address gives its filters back", () => {
    const filters = { status: "didisposisikan", opd: "dinas-pupr", overdue: true, sort: "due" };
    assert.deepEqual(filtersFromQuery(toQuery(filters)), filters);
    assert.deepEqual(filtersFromQuery("?overdue=false&status=&cursor=x&nonsense=1"), {});
    assert.deepEqual(filtersFromQuery("?overdue=ya"), { overdue: true });
  });
});

describe("pager", () => {
  function pages() {
    const seen = [];
    const data = {
      null: { items: [1, 2], next_cursor: "c2", counts: { total: 5, overdue: 1, due_today: 2 } },
      c2: { items: [3, 4], next_cursor: "c3" },
      c3: { items: [5], next_cursor: null },
    };
    return { seen, pager: new Pager(async (cursor) => { seen.push(cursor); return data[String(cursor)]; }) };
  }

  test("forward with next_cursor, back with the cursors seen, counts from the first page kept", async () => {
    const { pager, seen } = pages();
    assert.deepEqual(await pager.first(), [1, 2]);
    assert.equal(pager.hasPrevious, false);
    assert.equal(pager.hasNext, true);
    assert.deepEqual(await pager.next(), [3, 4]);
    assert.deepEqual(await pager.next(), [5]);
    assert.equal(pager.hasNext, false);
    assert.equal(pager.pageNumber, 3);
    assert.deepEqual(await pager.next(), [5]); // nothing further: no request
    assert.deepEqual(await pager.previous(), [3, 4]);
    assert.deepEqual(pager.counts, { total: 5, overdue: 1, due_today: 2 });
    assert.deepEqual(await pager.first(), [1, 2]);
    assert.deepEqual(seen, [null, "c2", "c3", "c2", null]);
  });

  test("the client's pager asks with the same filters and the cursor", async () => {
    const { fetch, calls } = recordingFetch(
      jsonResponse(200, { items: [{}], next_cursor: "n1", counts: { total: 2 } }),
      jsonResponse(200, { items: [{}], next_cursor: null }),
    );
    const { api } = client(fetch);
    const pager = api.submissions({ status: "diterima" });
    await pager.first();
    await pager.next();
    assert.deepEqual(calls.map((c) => c.url), [
      "/v1/staff/submissions?status=diterima",
      "/v1/staff/submissions?status=diterima&cursor=n1",
    ]);
    assert.deepEqual(pager.counts, { total: 2 });
  });
});

describe("sign-in", () => {
  test("return paths stay inside the console", () => {
    assert.equal(safeReturnPath("/petugas/kasus.html?kode=X"), "/petugas/kasus.html?kode=X");
    for (const bad of ["https://evil.example/", "//evil.example/petugas/", "/v1/staff/users", "/petugas\\..", null, SIGN_IN_PATH]) {
      assert.equal(safeReturnPath(bad), "/petugas/", String(bad));
    }
    assert.equal(signInUrl("/petugas/"), SIGN_IN_PATH);
    assert.equal(signInUrl("/petugas/staf.html", "keluar"), `${SIGN_IN_PATH}?kembali=%2Fpetugas%2Fstaf.html&alasan=keluar`);
  });

  test("each role starts on its own page", () => {
    assert.equal(homeFor("verifikator"), "/petugas/");
    assert.equal(homeFor("pimpinan"), "/petugas/");
    assert.equal(homeFor("admin"), "/petugas/staf.html");
    assert.equal(homeFor("operator"), "/petugas/call-center.html");
  });

  test("the Google address asks for an ID token with nonce and state", () => {
    const url = new URL(googleAuthUrl({
      clientId: "123.apps.googleusercontent.com", redirectUri: "https://layanan.example/petugas/masuk.html",
      nonce: "n-1", state: "s-1", hostedDomain: "jambikota.go.id",
    }));
    assert.equal(url.origin + url.pathname, "https://accounts.google.com/o/oauth2/v2/auth");
    assert.equal(url.searchParams.get("response_type"), "id_token");
    assert.equal(url.searchParams.get("scope"), "openid email");
    assert.equal(url.searchParams.get("nonce"), "n-1");
    assert.equal(url.searchParams.get("state"), "s-1");
    assert.equal(url.searchParams.get("hd"), "jambikota.go.id");
  });

  function started() {
    const storage = new MemoryStorage();
    const crypto = { getRandomValues: (buffer) => buffer.fill(7) };
    const address = beginGoogleSignIn({
      storage, crypto, clientId: "cid", redirectUri: "https://x/petugas/masuk.html", returnTo: "/petugas/laporan.html",
    });
    const params = new URL(address).searchParams;
    return { storage, nonce: params.get("nonce"), state: params.get("state") };
  }

  test("the answer is accepted only for this tab's state and nonce, and only once", () => {
    const { storage, nonce, state } = started();
    const token = jwt({ nonce, exp: 2_000_000_000, email: "a@b" });
    const result = finishGoogleSignIn({ hash: `#state=${state}&id_token=${token}`, storage, now: 1_000 });
    assert.deepEqual(result, { token, back: "/petugas/laporan.html" });
    assert.throws(() => finishGoogleSignIn({ hash: `#state=${state}&id_token=${token}`, storage }), SignInError);
  });

  test("a foreign state, a foreign nonce, an expired token or a refusal is an error in Bahasa Indonesia", () => {
    let s = started();
    assert.throws(() => finishGoogleSignIn({ hash: `#state=other&id_token=${jwt({ nonce: s.nonce })}`, storage: s.storage }), /tidak cocok/);
    s = started();
    assert.throws(() => finishGoogleSignIn({ hash: `#state=${s.state}&id_token=${jwt({ nonce: "planted" })}`, storage: s.storage }), /tidak sah/);
    s = started();
    assert.throws(
      () => finishGoogleSignIn({ hash: `#state=${s.state}&id_token=${jwt({ nonce: s.nonce, exp: 10 })}`, storage: s.storage, now: 20_000 }),
      /kedaluwarsa/,
    );
    s = started();
    assert.throws(() => finishGoogleSignIn({ hash: `#state=${s.state}&error=access_denied`, storage: s.storage }), /dibatalkan/);
    assert.equal(finishGoogleSignIn({ hash: "", storage: new MemoryStorage() }), null);
  });

  test("JWT claims are read without trusting them; garbage is null", () => {
    assert.deepEqual(jwtClaims(jwt({ role: "opd", name: "Budi Ñ" })), { role: "opd", name: "Budi Ñ" });
    assert.equal(jwtClaims("not.a.jwt"), null);
    assert.equal(jwtClaims("abc"), null);
  });
});

describe("dates and deadlines", () => {
  const now = new Date("2026-03-27T03:00:00Z"); // 10.00 WIB on Friday 27 March

  test("dates are WIB dates in Indonesian", () => {
    assert.equal(formatDate("2026-03-27T18:30:00Z"), "28 Maret 2026"); // 01.30 WIB the next day
    assert.equal(formatDate("2026-03-27"), "27 Maret 2026");
    assert.equal(formatDateTime("2026-03-27T07:05:00Z"), "27 Maret 2026, 14.05 WIB");
    assert.equal(formatDate("nonsense"), "");
    assert.equal(wibDate("2026-03-26T17:00:00Z"), "2026-03-27");
    assert.equal(wibDateBefore(now, 1), "2026-03-26");
    assert.equal(wibDateBefore(new Date("2026-03-01T00:00:00Z"), 1), "2026-02-28");
  });

  test("a deadline is overdue, today or later", () => {
    assert.equal(dueState("2026-03-26T16:59:59Z", now), "overdue"); // 23:59:59 WIB yesterday
    assert.equal(dueState("2026-03-27T16:59:59Z", now), "today");
    assert.equal(dueState("2026-03-30T16:59:59Z", now), "later");
    assert.equal(dueState(null, now), null);
  });

  test("tracking codes are grouped for reading aloud", () => {
    assert.equal(formatCode("abcd23456"), "ABCD-23456");
    assert.equal(formatCode("ABCD-23456"), "ABCD-23456");
  });

  test("the desk's form fields become the API body, blanks left out", () => {
    assert.deepEqual(
      formBody([["category", "infrastruktur"], ["location.kecamatan", " 15.71.01 "], ["location.kelurahan", ""], ["reporter.name", "  "]]),
      { category: "infrastruktur", "location.kecamatan": "15.71.01" },
    );
  });
});
