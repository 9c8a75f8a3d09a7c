/**
 * `GET /app.js`: the page's behaviour, a small ES module for current browsers, no framework. Every API error is
 * shown to the person (the contract's `{"error":{"code","message"}}`), and text from the server is only ever set
 * with `textContent`, never parsed as HTML. A static asset: the build minifies it (infra/page-assets.ts).
 */
const $ = (id) => document.getElementById(id);
const seg = encodeURIComponent;
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const USER = /^[A-Za-z0-9_.-]{1,32}$/;

/** What this tab remembers across a reload (sessionStorage: this tab only, gone when it closes). */
const remembered = {
  get(key) {
    try {
      return sessionStorage.getItem(`do-platform:${key}`);
    } catch {
      return null;
    }
  },
  set(key, value) {
    try {
      if (value) sessionStorage.setItem(`do-platform:${key}`, value);
      else sessionStorage.removeItem(`do-platform:${key}`);
    } catch {}
  },
};

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
    checkHealthSoon();
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
 * Where this environment's admin token comes from: `npm run dev` keeps it in .dev.vars; a deployed stack (staging,
 * prod, a pr-<n> preview) has it as its `adminToken` secret, whose stack the environment name is by default.
 */
function tokenHint() {
  if (/^(localhost|127\.0\.0\.1|\[::1\])$/.test(location.hostname)) {
    return "Paste this environment's admin token: npm run dev prints it and keeps it in .dev.vars.";
  }
  const stack = health.environment ?? "<stack>";
  return `Paste this environment's admin token: \`pulumi config get adminToken -s ${stack}\` prints it.`;
}

/**
 * An API error as a sentence for a person: the server's message (the contract makes it a human sentence), with
 * what to do for the errors a person can act on. The machine code stays available as the alert's title.
 */
function apiError(res, e) {
  let text = e?.message ? e.message : `The server answered with an error (HTTP ${res.status}).`;
  if (res.status === 401) text += ` ${tokenHint()}`;
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

// Times: today's as a time of day, others with their date; the full time is in the title.
const TIME = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const DATE_TIME = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});
function when(at) {
  if (at == null) return "—";
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return String(at);
  return d.toDateString() === new Date().toDateString() ? TIME.format(d) : DATE_TIME.format(d);
}

/** Milliseconds as the seconds the form speaks in: 60000 → "60", 1500 → "1.5". */
const seconds = (ms) => String(Number((Number(ms) / 1000).toFixed(3)));

// Health: what runs here, checked every few seconds while the page is visible. The header says when the server
// cannot be reached, and when it runs another build than the one this page came from (then: reload).
const HEALTH_MS = 10_000;
const health = { environment: null, pageBuild: null, down: false, downSince: 0, timer: 0 };

function showHealth(text, state) {
  const el = $("health");
  el.textContent = text;
  el.className = `health ${state === "ok" ? "muted" : `health-${state}`}`;
  $("reload").hidden = state !== "changed";
}

async function checkHealth() {
  clearTimeout(health.timer);
  health.timer = setTimeout(checkHealth, HEALTH_MS);
  if (document.visibilityState === "hidden") return;
  let h;
  let problem = "Server unreachable";
  try {
    const res = await fetch("/health", { cache: "no-store" });
    if (!res.ok) problem = `The server answers /health with HTTP ${res.status}`;
    h = res.ok ? await res.json() : null;
  } catch {}
  if (!h) {
    if (!health.down) health.downSince = Date.now();
    health.down = true;
    showHealth(
      `${problem} since ${TIME.format(health.downSince)}; retrying every ${HEALTH_MS / 1000} s.`,
      "down",
    );
    return;
  }
  const wasDown = health.down;
  health.down = false;
  health.environment = h.environment;
  health.pageBuild ??= h.buildId;
  const build = String(h.buildId).slice(0, 12);
  const line = `${h.environment} · build ${build} · version ${String(h.versionId).slice(0, 8)}`;
  if (h.buildId !== health.pageBuild) {
    const page = String(health.pageBuild).slice(0, 12);
    showHealth(`${h.environment} · new build ${build} is live; this page is build ${page}.`, "changed");
  } else showHealth(line, "ok");
  if (wasDown) reconnectChatNow();
}

/** After a request could not reach the server: check now rather than at the next tick (at most once a second). */
let healthSoon = 0;
function checkHealthSoon() {
  if (healthSoon) return;
  healthSoon = setTimeout(() => {
    healthSoon = 0;
    checkHealth();
  }, 1000);
}

$("reload").addEventListener("click", () => location.reload());
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") checkHealth();
});
checkHealth();

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

// Chat. A person joins a room; from then on the page stays in it until they leave: when the connection drops (a
// deploy, a restart, the network), it reconnects with exponential backoff and jitter, so that a restart is not met
// by every page at the same instant.
const chatError = $("chat-error");
const chatLog = $("chat-messages");
const BACKOFF_MS = [1000, 2000, 4000, 8000, 16000, 30000];
const chat = { want: null, socket: null, retries: 0, timer: 0, heartbeat: 0, me: "" };

/** idle: not in a room; connecting and waiting (for a retry): in a room but cannot send; open: can send. */
function setChatState(state, status) {
  $("chat-status").textContent = status;
  const inRoom = state !== "idle";
  $("chat-join").disabled = inRoom;
  $("chat-room").disabled = inRoom;
  $("chat-user").disabled = inRoom;
  $("chat-leave").disabled = !inRoom;
  $("chat-text").disabled = state !== "open";
  $("chat-send").disabled = state !== "open";
  if (state !== "open") setMembers([], 0);
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
  addLine(m.user === chat.me ? "message mine" : "message", [
    ["span", m.user, { class: "user" }],
    ["time", new Date(m.at).toLocaleTimeString(), { datetime: m.at }],
    ["span", m.text, { class: "text" }],
  ]);
}

// Presence: the welcome names at most the first 100 people and gives the count; presence frames (at most one per
// 250 ms) say who joined and who left since the last one. Names the page holds are what it was told.
let members = new Set();
let memberCount = 0;
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
        if (chat.socket) setMembers(page.members, page.count);
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
  const room = chat.want?.room ?? "";
  if (f.type === "welcome") {
    chat.me = f.you;
    // Back after a drop: the server may have restarted with another build; the header says so now.
    if (chat.retries > 0) checkHealth();
    chat.retries = 0;
    // Kept for this tab, so a reconnect while the old socket still counts as present is not refused as name_taken.
    sessionStorage.setItem(keyName(room, f.you), f.resumeKey);
    chatLog.replaceChildren();
    for (const m of f.history) addMessage(m);
    setChatState("open", `Connected to ${room} as ${f.you}.`);
    setMembers(f.members, f.count);
    showError(chatError, null);
    $("chat-text").focus();
  } else if (f.type === "message") {
    addMessage(f);
  } else if (f.type === "presence") {
    for (const u of f.joined) members.add(u);
    for (const u of f.left) members.delete(u);
    memberCount = f.count;
    showMembers();
    const joined = f.joined.filter((u) => u !== chat.me);
    if (joined.length) addLine("event", [["span", `${joined.join(", ")} joined`]]);
    if (f.left.length) addLine("event", [["span", `${f.left.join(", ")} left`]]);
    if (f.truncated) refreshMembers(room);
  } else if (f.type === "error") {
    showError(chatError, new Error(`${f.message} (${f.code})`));
  }
}

/**
 * Opens the room's WebSocket as `user` and follows it: every way the page connects to a room (joining and
 * reconnecting) goes through here, including how the resume key of an earlier connection is handed over.
 */
function connectChat(room, user) {
  const url = new URL(`/api/rooms/${seg(room)}/ws`, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("user", user);
  // The resume key goes in a subprotocol, not the URL (request logs keep URLs); the server answers "chat".
  const resumeKey = sessionStorage.getItem(keyName(room, user));
  const ws = new WebSocket(url, resumeKey ? ["chat", `resume-key.${resumeKey}`] : ["chat"]);
  chat.socket = ws;
  let opened = false;
  ws.addEventListener("open", () => {
    opened = true;
    chat.heartbeat = setInterval(() => ws.send('{"type":"ping"}'), 30000);
  });
  ws.addEventListener("message", onFrame);
  ws.addEventListener("close", (c) => {
    clearInterval(chat.heartbeat);
    if (chat.socket !== ws) return;
    chat.socket = null;
    onChatClosed(c.code, opened);
  });
}

function onChatClosed(code, opened) {
  if (!chat.want) {
    setChatState("idle", opened ? `Disconnected (code ${code}).` : "Not connected.");
    return;
  }
  if (!opened && chat.retries === 0 && !chat.me) {
    // The first connection was refused: a browser cannot read why, and retrying would not change it.
    chat.want = null;
    setChatState("idle", "Not connected.");
    showError(
      chatError,
      new Error("Could not connect to the room: it may be full, or someone here already uses that name."),
    );
    return;
  }
  const base = BACKOFF_MS[Math.min(chat.retries, BACKOFF_MS.length - 1)];
  const delay = Math.round(base * (0.8 + Math.random() * 0.2));
  chat.retries++;
  const why = opened ? `Disconnected (code ${code})` : `Could not reach the room (code ${code})`;
  setChatState("waiting", `${why}. Reconnecting in ${Math.ceil(delay / 1000)} s…`);
  chat.timer = setTimeout(reconnectChatNow, delay);
  checkHealthSoon();
}

/** Reconnects at once if the page is waiting to (the server is back, the network is back). */
function reconnectChatNow() {
  if (!chat.want || chat.socket) return;
  clearTimeout(chat.timer);
  setChatState("connecting", "Reconnecting…");
  connectChat(chat.want.room, chat.want.user);
}
addEventListener("online", reconnectChatNow);

$("join-form").addEventListener("submit", (e) => {
  e.preventDefault();
  guarded(chatError, null, async () => {
    const room = $("chat-room").value.trim();
    const user = $("chat-user").value.trim();
    if (!NAME.test(room)) throw new Error("The room name must be 1-64 characters of A-Z a-z 0-9 _ - .");
    if (!USER.test(user)) throw new Error("Your name must be 1-32 characters of A-Z a-z 0-9 _ - .");
    // A browser cannot read why a WebSocket upgrade failed, so ask the API about the room first: its errors show.
    await api("GET", `/api/rooms/${seg(room)}/messages?limit=1`);
    chat.want = { room, user };
    chat.retries = 0;
    chat.me = "";
    setChatState("connecting", "Connecting…");
    connectChat(room, user);
  });
});

$("chat-leave").addEventListener("click", () => {
  chat.want = null;
  clearTimeout(chat.timer);
  if (chat.socket) chat.socket.close(1000, "left");
  else setChatState("idle", "Not connected.");
});

$("send-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = $("chat-text");
  const socket = chat.socket;
  if (!socket || socket.readyState !== WebSocket.OPEN || !input.value.trim()) return;
  showError(chatError, null);
  socket.send(JSON.stringify({ type: "message", text: input.value }));
  input.value = "";
});

// Scheduler: a scheduler's jobs, a page at a time, refreshed every few seconds while the page is visible; a job's
// run history on its id; Cancel (after a confirmation) on pending jobs; a form for every action type and timing.
const REFRESH_MS = 5000;
const FETCHED = 1000; // the list route's largest page: sorted here, then shown a page at a time
const narrow = matchMedia("(max-width: 40rem)");
const perPage = () => (narrow.matches ? 5 : 10);
const jobError = $("job-error");
const jobs = {
  scheduler: "",
  status: "",
  list: [],
  counts: {},
  more: false,
  page: 0,
  loading: null,
  again: false,
};
const schedulerName = () => $("job-scheduler").value.trim();
const statusFilter = () => $("job-status").value;
const token = () => $("job-token").value.trim();

function describeAction(a) {
  if (a.type === "counter.increment") return `counter ${a.counter} +${a.by ?? 1}`;
  // As the API shows it: the path and query are `[redacted]` unless the read sent the admin token.
  if (a.type === "webhook") return `webhook ${a.method || "POST"} ${a.url.replace(/^https?:\/\//, "")}`;
  if (a.type === "chat.post") {
    const text = a.text.length > 40 ? `${a.text.slice(0, 39)}…` : a.text;
    return `chat ${a.room}: “${text}”`;
  }
  return a.type;
}

function describeSchedule(s) {
  if (s.everyMs !== undefined) return `every ${seconds(s.everyMs)} s`;
  if (s.cron !== undefined) return `cron ${s.cron} (UTC)`;
  return "once";
}

function cell(row, label, text, cls) {
  const td = document.createElement("td");
  td.dataset.label = label;
  td.textContent = text;
  if (cls) td.className = cls;
  row.append(td);
  return td;
}

function timeCell(row, label, at, cls) {
  const td = cell(row, label, when(at), cls);
  if (at) td.title = new Date(at).toString();
  return td;
}

function jobRow(scheduler, j) {
  const tr = document.createElement("tr");
  tr.dataset.jobId = j.id;
  const short = j.id.slice(0, 8);
  const idCell = cell(tr, "Job", "", "job-id");
  const history = document.createElement("button");
  history.type = "button";
  history.className = "link mono";
  history.textContent = short;
  history.title = j.id;
  history.setAttribute("aria-label", `History of job ${short}`);
  history.addEventListener("click", () => openHistory(scheduler, j.id));
  idCell.append(history);
  cell(tr, "Action", describeAction(j.action), "action");
  cell(tr, "Schedule", describeSchedule(j.schedule), "schedule");
  cell(tr, "Status", j.status, `status status-${j.status}`);
  timeCell(tr, "Next", j.nextRunAt, "next-run");
  timeCell(tr, "Last", j.lastRunAt, "last-run");
  cell(tr, "Attempts", `${j.attempts}/${j.maxAttempts}`, "attempts");
  const error = cell(tr, "Error", j.lastError || "—", j.lastError ? "last-error" : "no-error");
  if (j.lastError) error.title = j.lastError;
  const actions = cell(tr, "", "", "row-actions");
  if (j.status === "scheduled") {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "secondary small";
    b.textContent = "Cancel";
    b.setAttribute("aria-label", `Cancel job ${short}`);
    b.addEventListener("click", () => guarded(jobError, b, () => cancelJob(scheduler, j)));
    actions.append(b);
  }
  return tr;
}

function renderJobs() {
  const { scheduler, list, counts } = jobs;
  const size = perPage();
  const pages = Math.max(1, Math.ceil(list.length / size));
  jobs.page = Math.min(jobs.page, pages - 1);
  const shown = list.slice(jobs.page * size, (jobs.page + 1) * size);
  $("jobs-body").replaceChildren(...shown.map((j) => jobRow(scheduler, j)));
  $("jobs-pager").hidden = pages === 1;
  $("jobs-page").textContent = `Page ${jobs.page + 1} of ${pages}`;
  $("jobs-prev").disabled = jobs.page === 0;
  $("jobs-next").disabled = jobs.page >= pages - 1;

  const total = Object.values(counts).reduce((n, c) => n + c, 0);
  for (const option of $("job-status").options) {
    const n = option.value ? counts[option.value] : total;
    option.textContent = `${option.value ? option.value[0].toUpperCase() + option.value.slice(1) : "All"} (${n ?? 0})`;
  }
  const parts = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  let summary;
  if (total === 0) summary = `Scheduler ${scheduler} has no jobs yet.`;
  else {
    summary = parts.join(", ");
    if (jobs.status && list.length === 0) summary += ` · none ${jobs.status}`;
    if (jobs.more) summary += ` · sorted among the first ${FETCHED} scheduled`;
    summary += ` · updated ${TIME.format(new Date())}`;
  }
  $("jobs-summary").textContent = summary;
}

async function loadJobs() {
  const scheduler = schedulerName();
  const status = statusFilter();
  if (!NAME.test(scheduler))
    throw new Error("The scheduler name must be 1-64 characters of A-Z a-z 0-9 _ - .");
  if (scheduler !== jobs.scheduler || status !== jobs.status) {
    $("jobs-body").replaceChildren();
    $("jobs-pager").hidden = true;
    $("jobs-summary").textContent = `Loading jobs of ${scheduler}…`;
    jobs.page = 0;
  }
  const path = `/api/schedulers/${seg(scheduler)}`;
  const query = `?limit=${FETCHED}${status ? `&status=${status}` : ""}`;
  const [page, stats] = await Promise.all([api("GET", `${path}/jobs${query}`), api("GET", path)]);
  if (scheduler !== schedulerName() || status !== statusFilter()) return;
  // Pending jobs first, soonest first; then finished ones, most recent first.
  const pending = page.jobs
    .filter((j) => j.status === "scheduled")
    .sort((a, b) => String(a.nextRunAt).localeCompare(String(b.nextRunAt)));
  const done = page.jobs
    .filter((j) => j.status !== "scheduled")
    .sort((a, b) => String(b.updatedAt).localeCompare(String(a.updatedAt)));
  Object.assign(jobs, {
    scheduler,
    status,
    list: [...pending, ...done],
    counts: stats.jobs,
    more: page.nextCursor !== null,
  });
  renderJobs();
}

/**
 * Loads and shows the jobs. One load at a time: a refresh asked for while one is running (the filter changed, a
 * job was cancelled) runs once more after it, so what is shown always follows the latest request.
 */
function refresh() {
  if (jobs.loading) {
    jobs.again = true;
    return jobs.loading;
  }
  jobs.loading = (async () => {
    try {
      do {
        jobs.again = false;
        await loadJobs();
      } while (jobs.again);
    } catch (error) {
      $("jobs-summary").textContent = "Could not load the jobs.";
      throw error;
    } finally {
      jobs.loading = null;
    }
  })();
  return jobs.loading;
}

// Cancel, after the person confirmed it in a dialog (Escape or "Keep it" keeps the job).
function confirmCancel(j) {
  const dialog = $("cancel-dialog");
  $("cancel-id").textContent = j.id.slice(0, 8);
  $("cancel-what").textContent =
    `${describeAction(j.action)}, ${describeSchedule(j.schedule)}` +
    (j.nextRunAt ? `, next run ${when(j.nextRunAt)}.` : ".");
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "cancel"), { once: true });
    dialog.showModal();
  });
}

async function cancelJob(scheduler, j) {
  if (!token()) throw new Error("Paste the admin token above to cancel a job.");
  if (!(await confirmCancel(j))) return;
  await api("DELETE", `/api/schedulers/${seg(scheduler)}/jobs/${seg(j.id)}`, undefined, token());
  await refresh();
}

// A job's details and recent runs (the read sends the admin token when there is one: it shows webhook URLs whole).
function fact(list, name, value) {
  const dt = document.createElement("dt");
  dt.textContent = name;
  const dd = document.createElement("dd");
  dd.textContent = value;
  list.append(dt, dd);
}

async function openHistory(scheduler, id) {
  const dialog = $("history-dialog");
  $("history-id").textContent = id;
  $("history-facts").replaceChildren();
  $("runs-body").replaceChildren();
  $("runs-empty").hidden = true;
  showError($("history-error"), null);
  dialog.showModal();
  try {
    const j = await api("GET", `/api/schedulers/${seg(scheduler)}/jobs/${seg(id)}`, undefined, token());
    const facts = $("history-facts");
    fact(facts, "Action", describeAction(j.action));
    fact(facts, "Schedule", describeSchedule(j.schedule));
    fact(facts, "Status", `${j.status} · attempts ${j.attempts}/${j.maxAttempts}`);
    fact(facts, "Next run", when(j.nextRunAt));
    fact(facts, "Created", when(j.createdAt));
    if (j.lastError) fact(facts, "Last error", j.lastError);
    const rows = j.runs.map((r) => {
      const tr = document.createElement("tr");
      cell(tr, "Attempt", String(r.attempt));
      timeCell(tr, "Due", r.dueAt);
      timeCell(tr, "Started", r.startedAt);
      const took = r.finishedAt ? Date.parse(r.finishedAt) - Date.parse(r.startedAt) : null;
      cell(tr, "Took", took === null ? "—" : `${seconds(took)} s`);
      cell(tr, "Outcome", r.outcome, `status outcome-${r.outcome}`);
      cell(tr, "Error", r.error || "—", r.error ? "last-error" : "no-error");
      return tr;
    });
    $("runs-body").replaceChildren(...rows);
    $("runs-empty").hidden = rows.length > 0;
  } catch (error) {
    showError($("history-error"), error);
  }
}

// The form: the action and its fields, the timing and its field; only the chosen ones show.
function showChosen() {
  const type = $("job-type").value;
  const timing = $("job-timing").value;
  for (const el of document.querySelectorAll("[data-action]")) el.hidden = el.dataset.action !== type;
  for (const el of document.querySelectorAll("[data-timing]")) el.hidden = el.dataset.timing !== timing;
}
$("job-type").addEventListener("change", showChosen);
$("job-timing").addEventListener("change", showChosen);
showChosen();

/** A number of seconds from a field, as milliseconds; the form speaks seconds, the API milliseconds. */
function millis(id, label) {
  const value = $(id).value.trim();
  const n = Number(value);
  if (value === "" || !Number.isFinite(n)) throw new Error(`${label} must be a number of seconds.`);
  return Math.round(n * 1000);
}

function wholeNumber(id, label) {
  const value = $(id).value.trim();
  if (!/^\d+$/.test(value)) throw new Error(`${label} must be a whole number.`);
  return Number(value);
}

function webhookHeaders(text) {
  const headers = {};
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    const colon = line.indexOf(":");
    if (colon < 1) throw new Error(`Headers, line ${i + 1}: write it as Name: value.`);
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  });
  return headers;
}

function actionFromForm() {
  const type = $("job-type").value;
  if (type === "counter.increment") {
    return { type, counter: $("job-counter").value.trim(), by: wholeNumber("job-by", "Increment by") };
  }
  if (type === "chat.post") {
    const action = { type, room: $("job-room").value.trim(), text: $("job-text").value };
    const user = $("job-as").value.trim();
    if (user) action.user = user;
    return action;
  }
  const action = {
    type,
    url: $("job-url").value.trim(),
    method: $("job-method").value,
    timeoutMs: millis("job-timeout", "Timeout"),
  };
  const body = $("job-body").value;
  if (body.trim()) {
    try {
      action.body = JSON.parse(body);
    } catch {
      action.body = body;
    }
  }
  const headers = webhookHeaders($("job-headers").value);
  if (Object.keys(headers).length) action.headers = headers;
  return action;
}

function timingFromForm() {
  const timing = $("job-timing").value;
  if (timing === "delay") return { delayMs: millis("job-delay", "Delay") };
  if (timing === "every") return { everyMs: millis("job-every", "Every") };
  if (timing === "cron") return { cron: $("job-cron").value.trim() };
  const at = $("job-at").value;
  const runAt = new Date(at);
  if (!at || Number.isNaN(runAt.getTime())) throw new Error("Pick the date and time to run at.");
  return { runAt: runAt.toISOString() };
}

/**
 * The API's limits are in milliseconds (`everyMs: must be an integer from 1000 to 31622400000`); the form's fields
 * are in seconds, so its errors are too. The limits stay the API's: the page does not restate them.
 */
const MS_FIELDS = { delayMs: "Delay", everyMs: "Every", "action.timeoutMs": "Timeout" };
function inSeconds(message) {
  return message.replace(
    /\b(delayMs|everyMs|action\.timeoutMs):? must be an integer from (\d+) to (\d+)/g,
    (_, field, min, max) => {
      const days = Number(max) / 86_400_000;
      const span = days >= 1 ? ` (${Number(days.toFixed(1))} days)` : "";
      return `${MS_FIELDS[field]} must be from ${seconds(min)} to ${seconds(max)} seconds${span}`;
    },
  );
}

$("job-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const formError = $("job-form-error");
  $("job-done").hidden = true;
  guarded(formError, e.submitter, async () => {
    const scheduler = schedulerName();
    if (!NAME.test(scheduler))
      throw new Error("The scheduler name must be 1-64 characters of A-Z a-z 0-9 _ - .");
    if (!token()) throw new Error("Paste the admin token above to schedule a job.");
    const body = {
      ...timingFromForm(),
      action: actionFromForm(),
      maxAttempts: wholeNumber("job-attempts", "Attempts at most"),
    };
    let job;
    try {
      job = await api("POST", `/api/schedulers/${seg(scheduler)}/jobs`, body, token());
    } catch (error) {
      error.message = inSeconds(error.message);
      throw error;
    }
    $("job-done").textContent =
      `Scheduled job ${job.id.slice(0, 8)} (${describeSchedule(job.schedule)}), ` +
      `next run ${when(job.nextRunAt)}.`;
    $("job-done").hidden = false;
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

function showTokenHelp() {
  $("job-token-help").hidden = token() !== "";
}

// The scheduler, the filter and the token survive a reload of this tab.
$("job-scheduler").value = remembered.get("scheduler") ?? $("job-scheduler").value;
$("job-status").value = remembered.get("job-status") ?? "";
$("job-token").value = remembered.get("admin-token") ?? "";
showTokenHelp();
$("job-scheduler").addEventListener("change", () => {
  remembered.set("scheduler", schedulerName());
  autoRefresh();
});
$("job-status").addEventListener("change", () => {
  remembered.set("job-status", statusFilter());
  autoRefresh();
});
$("job-token").addEventListener("input", () => {
  remembered.set("admin-token", token());
  showTokenHelp();
});
$("jobs-controls").addEventListener("submit", (e) => {
  e.preventDefault();
  remembered.set("scheduler", schedulerName());
  guarded(jobError, $("jobs-refresh"), refresh);
});
$("jobs-prev").addEventListener("click", () => {
  jobs.page--;
  renderJobs();
});
$("jobs-next").addEventListener("click", () => {
  jobs.page++;
  renderJobs();
});
narrow.addEventListener("change", () => renderJobs());
autoRefresh();
setInterval(() => {
  if (document.visibilityState === "visible" && NAME.test(schedulerName())) autoRefresh();
}, REFRESH_MS);
