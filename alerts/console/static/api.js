// Talking to the console server: JSON in and out, the session's CSRF token on every change,
// errors carried as reason codes so the page words them from its catalogue.
let csrf = "";

export function setCsrf(token) { csrf = token || ""; }

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export async function api(path, body) {
  const opts = { credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    opts.method = "POST";
    opts.headers["Content-Type"] = "application/json";
    opts.headers["X-CSRF-Token"] = csrf;
    opts.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch (_err) {
    throw new ApiError(0, "network", "");
  }
  if (!res.ok) {
    let data = {};
    try { data = await res.json(); } catch (_err) { /* not JSON: keep the status */ }
    throw new ApiError(res.status, data.error || "bad_request", data.message, res.headers.get("Retry-After"));
  }
  return res.json();
}
