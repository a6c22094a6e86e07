// The REST API as the page uses it: same origin, the API key (if any) from
// sessionStorage as a bearer header.
const KEY = "oee.apiKey";

export const apiKey = {
  get: () => sessionStorage.getItem(KEY) || "",
  set: value => (value ? sessionStorage.setItem(KEY, value) : sessionStorage.removeItem(KEY)),
};

/** { status, ok, body } — body is the parsed JSON, or null. Never throws. */
export async function api(method, path, body) {
  const headers = {};
  const key = apiKey.get();
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  try {
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    let json = null;
    try { json = await res.json(); } catch { /* not JSON */ }
    return { status: res.status, ok: res.ok, body: json };
  } catch (e) {
    return { status: 0, ok: false, body: { error: { code: "unreachable", message: String(e.message || e) } } };
  }
}

/** The `{error:{code,message}}` of a refused request, as one line. */
export function errorText(r) {
  const e = r.body && r.body.error;
  return e ? `${e.code}: ${e.message}` : `HTTP ${r.status}`;
}
