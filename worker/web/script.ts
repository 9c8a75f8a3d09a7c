/**
 * `GET /app.js`: the page's behaviour, a small ES module for current browsers, no framework. Every API error is
 * shown to the person (the contract's `{"error":{"code","message"}}`), and text from the server is only ever set
 * with `textContent`, never parsed as HTML.
 */
export const PAGE_SCRIPT = `const $ = (id) => document.getElementById(id);
const seg = encodeURIComponent;
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const USER = /^[A-Za-z0-9_.-]{1,32}$/;

async function api(method, path, body, token) {
  const init = { method, headers: {} };
  if (token) init.headers.authorization = "Bearer " + token;
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
  if (!res.ok) {
    const e = data && data.error;
    throw new Error(e ? e.message + " (" + e.code + ", HTTP " + res.status + ")" : "HTTP " + res.status + " " + res.statusText);
  }
  return data;
}

function showError(el, error) {
  el.textContent = error ? error.message : "";
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
  (h) => { $("health").textContent = h.environment + " · build " + String(h.buildId).slice(0, 12) + " · version " + String(h.versionId).slice(0, 8); },
  (e) => { $("health").textContent = "Health check failed: " + e.message; },
);

// Counter
const counterName = () => $("counter-name").value.trim();
async function counter(method, suffix) {
  const r = await api(method, "/api/counters/" + seg(counterName()) + suffix);
  $("counter-value").textContent = String(r.count);
}
$("counter-form").addEventListener("submit", (e) => {
  e.preventDefault();
  guarded($("counter-error"), e.submitter, () => counter("POST", "/increment"));
});
$("counter-read").addEventListener("click", (e) => guarded($("counter-error"), e.currentTarget, () => counter("GET", "")));
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
  if (!connected) $("chat-members").textContent = "none";
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

let members = [];
function setMembers(list) {
  members = [...new Set(list)].sort();
  $("chat-members").textContent = members.length ? members.join(", ") : "none";
}

function onFrame(event) {
  let f;
  try {
    f = JSON.parse(event.data);
  } catch {
    return;
  }
  if (f.type === "welcome") {
    chatLog.replaceChildren();
    for (const m of f.history) addMessage(m);
    setMembers(f.members);
    setConnected(true, "Connected to " + $("chat-room").value.trim() + " as " + f.you + ".");
    $("chat-text").focus();
  } else if (f.type === "message") {
    addMessage(f);
  } else if (f.type === "join") {
    setMembers([...members, f.user]);
    addLine("event", [["span", f.user + " joined"]]);
  } else if (f.type === "leave") {
    setMembers(members.filter((u) => u !== f.user));
    addLine("event", [["span", f.user + " left"]]);
  } else if (f.type === "error") {
    showError(chatError, new Error(f.message + " (" + f.code + ")"));
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
    await api("GET", "/api/rooms/" + seg(room) + "/messages?limit=1");
    const url = new URL("/api/rooms/" + seg(room) + "/ws", location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("user", user);
    setConnected(true, "Connecting…");
    const ws = new WebSocket(url);
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
      setConnected(false, opened ? "Disconnected (code " + c.code + ")." : "Not connected.");
      if (!opened) showError(chatError, new Error("Could not connect to the room (it may be full); try again."));
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

// Scheduler: a job that increments a counter later.
let job = null;
function showJob(j, scheduler) {
  job = { scheduler, id: j.id };
  $("job").hidden = false;
  $("job-id").textContent = j.id;
  $("job-status").textContent = j.status;
  $("job-next").textContent = j.nextRunAt == null ? "—" : when(j.nextRunAt);
  $("job-check").disabled = false;
}
async function checkJob() {
  if (!job) return;
  const { scheduler, id } = job;
  showJob(await api("GET", "/api/schedulers/" + seg(scheduler) + "/jobs/" + seg(id)), scheduler);
}
$("job-form").addEventListener("submit", (e) => {
  e.preventDefault();
  guarded($("job-error"), e.submitter, async () => {
    const scheduler = $("job-scheduler").value.trim();
    const delayMs = Math.round(Number($("job-delay").value) * 1000);
    const action = { type: "counter.increment", counter: $("job-counter").value.trim(), by: Number($("job-by").value) };
    const token = $("job-token").value.trim();
    const j = await api("POST", "/api/schedulers/" + seg(scheduler) + "/jobs", { delayMs, action }, token);
    showJob(j, scheduler);
    // Look again once the job should have run, so its new status shows without a click.
    setTimeout(() => guarded($("job-error"), null, checkJob), delayMs + 1500);
  });
});
$("job-check").addEventListener("click", (e) => guarded($("job-error"), e.currentTarget, checkJob));
`;
