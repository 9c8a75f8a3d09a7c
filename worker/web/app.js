/**
 * `GET /app.js`: the page's behaviour, a small ES module for current browsers, no framework. Every API error is
 * shown to the person (the contract's `{"error":{"code","message"}}`), and text from the server is only ever set
 * with `textContent`, never parsed as HTML. A static asset: the build minifies it (infra/page-assets.ts).
 */
const $ = (id) => document.getElementById(id);
const seg = encodeURIComponent;
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const USER = /^[A-Za-z0-9_.-]{1,32}$/;

async function api(method, path, body, token) {
  const init = { method, headers: {} };
  if (token) init.headers.authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new Error("The server cannot be reached.");
  }
  const text = await res.text();
  let data = null;
  try {
    data = JSON.parse(text);
  } catch {}
  if (!res.ok) throw apiError(res, data?.error);
  return data;
}

/**
 * An API error as a sentence for a person: the server's message (the contract makes it a human sentence), with
 * what to do for the errors a person can act on. The machine code stays available as the alert's title.
 */
function apiError(res, e) {
  let text = e?.message ? e.message : `The server answered with an error (HTTP ${res.status}).`;
  if (res.status === 401) text += " Paste this environment's admin token (npm run dev prints it).";
  else if (res.status === 429) {
    const wait = res.headers.get("retry-after");
    text += wait ? ` Try again in ${wait} seconds.` : " Try again shortly.";
  } else if (res.status >= 500)
    text = `The server failed to answer (HTTP ${res.status}). Try again; if it persists, check the logs.`;
  const error = new Error(text);
  error.code = e ? e.code : `http_${res.status}`;
  return error;
}

function showError(el, error) {
  el.textContent = error ? error.message : "";
  el.title = error?.code ? `error code: ${error.code}` : "";
  el.hidden = !error;
}

/** Runs an action for a section: clears its error, shows the new one, keeps the button from double-submitting. */
async function guarded(errorEl, busyEl, action) {
  showError(errorEl, null);
  if (busyEl) busyEl.disabled = true;
  try {
    await action();
  } catch (error) {
    showError(errorEl, error instanceof Error ? error : new Error(String(error)));
  } finally {
    if (busyEl) busyEl.disabled = false;
  }
}

const when = (at) => {
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? String(at) : d.toLocaleString();
};

// Health: what runs here.
api("GET", "/health").then(
  (h) => {
    $("health").textContent =
      h.environment +
      " · build " +
      String(h.buildId).slice(0, 12) +
      " · version " +
      String(h.versionId).slice(0, 8);
  },
  (e) => {
    $("health").textContent = `Health check failed: ${e.message}`;
  },
);

// Counter
const counterName = () => $("counter-name").value.trim();
async function counter(method, suffix) {
  try {
    const r = await api(method, `/api/counters/${seg(counterName())}${suffix}`);
    $("counter-value").textContent = String(r.count);
  } catch (error) {
    // A count left from another name or an earlier answer would read as this counter's: clear it.
    $("counter-value").textContent = "–";
    throw error;
  }
}
$("counter-form").addEventListener("submit", (e) => {
  e.preventDefault();
  guarded($("counter-error"), e.submitter, () => counter("POST", "/increment"));
});
$("counter-read").addEventListener("click", (e) =>
  guarded($("counter-error"), e.currentTarget, () => counter("GET", "")),
);
guarded($("counter-error"), null, () => counter("GET", ""));

// Chat
let socket = null;
let heartbeat = 0;
const chatError = $("chat-error");
const chatLog = $("chat-messages");

function setConnected(connected, status) {
  $("chat-status").textContent = status;
  $("chat-join").disabled = connected;
  $("chat-room").disabled = connected;
  $("chat-user").disabled = connected;
  $("chat-leave").disabled = !connected;
  $("chat-text").disabled = !connected;
  $("chat-send").disabled = !connected;
  if (!connected) setMembers([], 0);
}

function addLine(cls, parts) {
  const li = document.createElement("li");
  li.className = cls;
  for (const [tag, text, attrs] of parts) {
    const el = document.createElement(tag);
    el.textContent = text;
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
    li.append(el);
  }
  chatLog.append(li);
  chatLog.scrollTop = chatLog.scrollHeight;
}

function addMessage(m) {
  addLine("message", [
    ["span", m.user, { class: "user" }],
    ["time", new Date(m.at).toLocaleTimeString(), { datetime: m.at }],
    ["span", m.text, { class: "text" }],
  ]);
}

// Presence: the welcome names at most the first 100 people and gives the count; presence frames (at most one per
// 250 ms) say who joined and who left since the last one. Names the page holds are what it was told.
let members = new Set();
let memberCount = 0;
let me = "";
function showMembers() {
  const names = [...members].sort();
  const more = memberCount - names.length;
  $("chat-members").textContent =
    (names.length ? names.join(", ") : "none") + (more > 0 ? ` and ${more} more` : "");
}
function setMembers(list, count) {
  members = new Set(list);
  memberCount = count;
  showMembers();
}

/** After a presence frame that could not name everyone, read the first page of members again (spread out). */
function refreshMembers(room) {
  setTimeout(() => {
    api("GET", `/api/rooms/${seg(room)}/members`).then(
      (page) => {
        if (socket) setMembers(page.members, page.count);
      },
      () => {},
    );
  }, Math.random() * 2000);
}

const keyName = (room, user) => `chat-resume:${room}:${user}`;

function onFrame(event) {
  let f;
  try {
    f = JSON.parse(event.data);
  } catch {
    return;
  }
  const room = $("chat-room").value.trim();
  if (f.type === "welcome") {
    me = f.you;
    // Kept for this tab, so a reconnect while the old socket still counts as present is not refused as name_taken.
    sessionStorage.setItem(keyName(room, f.you), f.resumeKey);
    chatLog.replaceChildren();
    for (const m of f.history) addMessage(m);
    setMembers(f.members, f.count);
    setConnected(true, `Connected to ${room} as ${f.you}.`);
    $("chat-text").focus();
  } else if (f.type === "message") {
    addMessage(f);
  } else if (f.type === "presence") {
    for (const u of f.joined) members.add(u);
    for (const u of f.left) members.delete(u);
    memberCount = f.count;
    showMembers();
    const joined = f.joined.filter((u) => u !== me);
    if (joined.length) addLine("event", [["span", `${joined.join(", ")} joined`]]);
    if (f.left.length) addLine("event", [["span", `${f.left.join(", ")} left`]]);
    if (f.truncated) refreshMembers(room);
  } else if (f.type === "error") {
    showError(chatError, new Error(`${f.message} (${f.code})`));
  }
}

$("join-form").addEventListener("submit", (e) => {
  e.preventDefault();
  guarded(chatError, null, async () => {
    const room = $("chat-room").value.trim();
    const user = $("chat-user").value.trim();
    if (!NAME.test(room)) throw new Error("The room name must be 1-64 characters of A-Z a-z 0-9 _ - .");
    if (!USER.test(user)) throw new Error("Your name must be 1-32 characters of A-Z a-z 0-9 _ - .");
    // A browser cannot read why a WebSocket upgrade failed, so ask the API about the room first: its errors show.
    await api("GET", `/api/rooms/${seg(room)}/messages?limit=1`);
    const url = new URL(`/api/rooms/${seg(room)}/ws`, location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("user", user);
    // The resume key goes in a subprotocol, not the URL (request logs keep URLs); the server answers "chat".
    const resumeKey = sessionStorage.getItem(keyName(room, user));
    setConnected(true, "Connecting…");
    const ws = new WebSocket(url, resumeKey ? ["chat", `resume-key.${resumeKey}`] : ["chat"]);
    socket = ws;
    let opened = false;
    ws.addEventListener("open", () => {
      opened = true;
      heartbeat = setInterval(() => ws.send('{"type":"ping"}'), 30000);
    });
    ws.addEventListener("message", onFrame);
    ws.addEventListener("close", (c) => {
      clearInterval(heartbeat);
      if (socket === ws) socket = null;
      setConnected(false, opened ? `Disconnected (code ${c.code}).` : "Not connected.");
      if (!opened) {
        showError(
          chatError,
          new Error("Could not connect to the room: it may be full, or someone here already uses that name."),
        );
      }
    });
  });
});

$("chat-leave").addEventListener("click", () => {
  if (socket) socket.close(1000, "left");
});

$("send-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = $("chat-text");
  if (!socket || socket.readyState !== WebSocket.OPEN || !input.value.trim()) return;
  showError(chatError, null);
  socket.send(JSON.stringify({ type: "message", text: input.value }));
  input.value = "";
});

// Scheduler: its jobs (status, next run, last error), refreshed every few seconds, a cancel button per pending
// job, and a form to schedule a counter job.
const REFRESH_MS = 5000;
const SHOWN = 50;
const jobError = $("job-error");
let shownScheduler = "";
let loading = false;
const schedulerName = () => $("job-scheduler").value.trim();
const token = () => $("job-token").value.trim();

function describeAction(a) {
  if (a.type === "counter.increment") return `counter ${a.counter} +${a.by ?? 1}`;
  if (a.type === "webhook") {
    let host = a.url;
    try {
      host = new URL(a.url).host;
    } catch {}
    return `webhook ${a.method || "POST"} ${host}`;
  }
  if (a.type === "chat.post") return `chat message to ${a.room}`;
  return a.type;
}

function cell(row, label, text, cls) {
  const td = document.createElement("td");
  td.dataset.label = label;
  td.textContent = text;
  if (cls) td.className = cls;
  row.append(td);
  return td;
}

function renderJobs(scheduler, jobs, counts) {
  // Pending jobs first, soonest first; then finished ones, most recent first.
  const pending = jobs
    .filter((j) => j.status === "scheduled")
    .sort((a, b) => String(a.nextRunAt).localeCompare(String(b.nextRunAt)));
  const done = jobs
    .filter((j) => j.status !== "scheduled")
    .sort((a, b) => String(b.updatedAt).localeCompare(String(a.updatedAt)));
  const shown = [...pending, ...done].slice(0, SHOWN);
  const rows = shown.map((j) => {
    const tr = document.createElement("tr");
    tr.dataset.jobId = j.id;
    const id = cell(tr, "Job", j.id.slice(0, 8), "mono");
    id.title = j.id;
    cell(tr, "Action", describeAction(j.action));
    cell(tr, "Status", j.status, `status status-${j.status}`);
    cell(tr, "Next run", j.nextRunAt == null ? "—" : when(j.nextRunAt), "next-run");
    cell(tr, "Last error", j.lastError || "—", j.lastError ? "last-error" : "");
    const actions = cell(tr, "", "");
    if (j.status === "scheduled") {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "secondary small";
      b.textContent = "Cancel";
      b.setAttribute("aria-label", `Cancel job ${j.id.slice(0, 8)}`);
      b.addEventListener("click", () => guarded(jobError, b, () => cancelJob(scheduler, j.id)));
      actions.append(b);
    }
    return tr;
  });
  $("jobs-body").replaceChildren(...rows);
  const total = Object.values(counts).reduce((n, c) => n + c, 0);
  const parts = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  $("jobs-summary").textContent =
    total === 0
      ? `Scheduler ${scheduler} has no jobs yet.`
      : "Scheduler " +
        scheduler +
        ": " +
        parts.join(", ") +
        (total > shown.length ? ` (showing ${shown.length})` : "") +
        " · updated " +
        new Date().toLocaleTimeString();
}

async function loadJobs() {
  const scheduler = schedulerName();
  if (!NAME.test(scheduler))
    throw new Error("The scheduler name must be 1-64 characters of A-Z a-z 0-9 _ - .");
  if (scheduler !== shownScheduler) {
    $("jobs-body").replaceChildren();
    $("jobs-summary").textContent = `Loading jobs of ${scheduler}…`;
    shownScheduler = scheduler;
  }
  const path = `/api/schedulers/${seg(scheduler)}`;
  const [list, stats] = await Promise.all([api("GET", `${path}/jobs?limit=1000`), api("GET", path)]);
  if (scheduler === schedulerName()) renderJobs(scheduler, list.jobs, stats.jobs);
}

async function refresh() {
  if (loading) return;
  loading = true;
  try {
    await loadJobs();
  } catch (error) {
    $("jobs-summary").textContent = "Could not load the jobs.";
    throw error;
  } finally {
    loading = false;
  }
}

async function cancelJob(scheduler, id) {
  if (!token()) throw new Error("Paste the admin token above to cancel a job.");
  await api("DELETE", `/api/schedulers/${seg(scheduler)}/jobs/${seg(id)}`, undefined, token());
  await refresh();
}

$("job-form").addEventListener("submit", (e) => {
  e.preventDefault();
  guarded(jobError, e.submitter, async () => {
    const scheduler = schedulerName();
    if (!token()) throw new Error("Paste the admin token to schedule a job.");
    const delayMs = Math.round(Number($("job-delay").value) * 1000);
    const action = {
      type: "counter.increment",
      counter: $("job-counter").value.trim(),
      by: Number($("job-by").value),
    };
    await api("POST", `/api/schedulers/${seg(scheduler)}/jobs`, { delayMs, action }, token());
    await refresh();
  });
});
// Background refreshes show their error until one succeeds, and never hide an error a person's action caused.
let refreshFailed = false;
function autoRefresh() {
  refresh().then(
    () => {
      if (refreshFailed) showError(jobError, null);
      refreshFailed = false;
    },
    (error) => {
      refreshFailed = true;
      showError(jobError, error);
    },
  );
}
$("jobs-refresh").addEventListener("click", (e) => guarded(jobError, e.currentTarget, refresh));
$("job-scheduler").addEventListener("change", autoRefresh);
autoRefresh();
setInterval(() => {
  if (document.visibilityState === "visible" && NAME.test(schedulerName())) autoRefresh();
}, REFRESH_MS);
